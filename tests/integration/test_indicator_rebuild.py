"""`yinling rebuild`: every indicator built again from the facts; readers keep the previous
values until the rebuild commits."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import sessionmaker

from services.indicators.engine import MODELS, IndicatorEngine
from services.indicators.projection import ContributionRow, DeltaRow
from services.indicators.samples import envelope
from services.indicators.worked_example import world
from tests.plans import counting_rules_only
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.plan import load_plan
from yinling.territory import CITY

REPO = Path(__file__).parents[2]
PLAN_PATH = REPO / "plans" / "jiangmen-2022-2024.yaml"
PLAN = counting_rules_only(load_plan(PLAN_PATH))   # the worked example: nothing withheld
D24 = date(2024, 12, 31)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    create_schema(engine, MODELS)
    yield make_sessionmaker(engine)
    engine.dispose()


def values(engine: IndicatorEngine) -> dict[tuple[str, str], str]:
    return {(v.indicator_id, v.territory): v.value for v in engine.values(None, None, D24)}


def spoil(sessions: sessionmaker) -> None:
    """Sums that no longer match the facts (as after a fault, or a bug since fixed)."""
    with sessions.begin() as s:
        s.execute(delete(ContributionRow))
        s.execute(update(DeltaRow).values(delta=DeltaRow.delta * 2))


def test_the_rebuild_command_restores_the_values_from_the_facts(sessions: sessionmaker, database_url: str,
                                                                tmp_path: Path) -> None:
    engine = IndicatorEngine(sessions, [PLAN], lambda: D24)
    engine.apply_batch([envelope(r) for r in world()])
    right = values(engine)
    spoil(sessions)
    assert values(engine)[("high_tech_enterprises", CITY)] == "4"   # doubled: 2 x 2
    env = dict(os.environ, YINLING_DATABASE_URL=database_url, YINLING_PLAN=str(PLAN_PATH),
               YINLING_DATA_DIR=str(tmp_path), YINLING_LOG_LEVEL="warning")
    done = subprocess.run([sys.executable, "-m", "yinling", "rebuild"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "rebuilt every indicator of jiangmen-2022-2024" in done.stdout
    assert "rebuilding indicators" in done.stderr   # the progress bar
    assert values(engine) == right


def test_readers_see_the_previous_values_until_the_rebuild_commits(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], lambda: D24)
    engine.apply_batch([envelope(r) for r in world()])
    right = values(engine)
    spoil(sessions)
    before = values(engine)
    reader = IndicatorEngine(sessions, [PLAN], lambda: D24)
    seen_during: list[dict[tuple[str, str], str]] = []
    engine.rebuild(progress=lambda _n: seen_during.append(values(reader)) if not seen_during else None)
    assert seen_during == [before]
    assert values(reader) == right


def test_a_plan_added_later_is_built_for_its_whole_period_from_the_facts(sessions: sessionmaker) -> None:
    from services.indicators.engine import compute_from_snapshots
    from yinling.plan import parse_plan

    first = IndicatorEngine(sessions, [PLAN], lambda: D24)
    first.apply_batch([envelope(r) for r in world()])
    text = PLAN_PATH.read_text(encoding="utf-8")
    later = counting_rules_only(parse_plan(text.replace("id: jiangmen-2022-2024", "id: jiangmen-2023-2025")
                       .replace("{start: 2022-01-01, end: 2024-12-31}", "{start: 2023-01-01, end: 2025-12-31}")
                       .replace("[2022-12-31, 2023-12-31, 2024-12-31]", "[2023-12-31, 2024-12-31, 2025-12-31]")))
    both = IndicatorEngine(sessions, [PLAN, later], lambda: D24)
    both.recompute_all()
    for day in (date(2023, 6, 30), D24):
        got = {(v.indicator_id, v.territory): v.value for v in both.values(later.id, None, day)}
        for indicator in later.indicators:
            for territory in later.territories:
                want = compute_from_snapshots(later, world(), territory, day, indicator.id).value
                assert got[(indicator.id, territory)] == want, (indicator.id, territory, day)
    # Cumulative windows start with the later plan: 2022's loans count in the first plan only.
    assert both.value(later.id, "finance_credit", CITY, D24).value != both.value(
        PLAN.id, "finance_credit", CITY, D24).value

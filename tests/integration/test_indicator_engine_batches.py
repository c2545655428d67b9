"""The indicator engine on real databases (SQLite and PostgreSQL): batches, order, redelivery."""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date

import pytest
from google.protobuf.message import Message
from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from services.indicators.engine import MODELS, IndicatorEngine, compute_from_snapshots
from services.indicators.samples import enterprise, envelope, qualification, statistic, talent
from services.indicators.worked_example import E3, world
from tests.plans import plan_for_counting
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.envelope import Envelope
from yinling.outbox import OutboxRecord
from yinling.territory import CITY
from yinling.topics import INDICATOR_CHANGES
from yinling.v1 import indicators_pb2 as pb

PLAN = plan_for_counting()   # hand-worked values of a few records: nothing withheld
D24 = date(2024, 12, 31)
JH, XH = "440704", "440705"


class Clock:
    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    create_schema(engine, MODELS)
    yield make_sessionmaker(engine)
    engine.dispose()


def _reset(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        for model in [*MODELS, OutboxRecord]:
            s.execute(delete(model))


def _final_and_stale() -> tuple[list[Message], list[Message]]:
    """The worked world at version 5, and older versions of some records (must lose)."""
    final = world()
    for record in final:
        if hasattr(record, "revision"):
            continue   # statistics: version follows the revision
        record.version = 5
    stale = [
        enterprise(E3, [(JH, "2020-01-01", "")], [qualification("high_tech_enterprise", "2022-03-01",
                                                                "2025-03-01")], version=2),
        talent("T3", "S3", "innovation_team", JH, "2023-08-01", credit_code="", version=3),
        statistic("440700", 2023, "rd_expenditure", "999999", revision=1),
    ]
    return final, stale


def _values(engine: IndicatorEngine, day: date) -> dict[tuple[str, str], str]:
    return {(v.indicator_id, v.territory): v.value for v in engine.values(None, None, day)}


def test_events_in_any_order_and_duplicated_give_the_same_values(sessions: sessionmaker) -> None:
    final, stale = _final_and_stale()
    events = [envelope(r) for r in [*final, *stale]]
    rng = random.Random(20240101)
    outcomes = []
    for _ in range(3):
        _reset(sessions)
        engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
        order = events + rng.sample(events, 10)   # redelivered copies, same ce_id
        rng.shuffle(order)
        cut = rng.randrange(1, len(order))
        engine.apply_batch(order[:cut])
        engine.apply_batch(order[cut:])
        outcomes.append((_values(engine, D24), _values(engine, date(2023, 6, 30))))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    # And they are the from-scratch (hand-checked) values: E2 + E3 valid on 2024-12-31.
    assert outcomes[0][0][("high_tech_enterprises", CITY)] == "2"
    assert outcomes[0][0][("rd_intensity", CITY)] == "3.00"
    assert outcomes[0][0][("finance_credit", CITY)] == "6234567.89"
    for indicator in PLAN.indicators:
        expected = compute_from_snapshots(PLAN, final, XH, D24, indicator.id).value
        assert outcomes[0][0][(indicator.id, XH)] == expected, indicator.id


def test_stored_series_equal_the_on_demand_values(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(date(2023, 6, 30)))
    engine.apply_batch([envelope(r) for r in world()])
    for series in ("now", "2022-12-31", "2024-12-31"):
        day = date(2023, 6, 30) if series == "now" else date.fromisoformat(series)
        for v in engine.values(None, None, day):
            points = engine.history(None, v.indicator_id, v.territory, series)
            assert points and points[-1].value.value == v.value, (v.indicator_id, v.territory)


def test_permutations_of_a_move_and_its_contributions_agree(sessions: sessionmaker) -> None:
    before = enterprise(E3, [(JH, "2020-01-01", "")], [], version=1)
    after = enterprise(E3, [(JH, "2020-01-01", "2023-07-01"), (XH, "2023-07-01", "")], [], version=2)
    team = talent("T3", "S3", "innovation_team", JH, "2023-08-01", credit_code=E3)
    events = [envelope(before), envelope(after), envelope(team)]
    seen = set()
    for order in itertools.permutations(events):
        _reset(sessions)
        engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
        for event in order:
            engine.apply_batch([event])
        seen.add(tuple(engine.value(None, "talent_teams", t, D24).value for t in (CITY, JH, XH)))
    assert seen == {("1", "0", "1")}   # the team moved with its host, counted once city-wide


def test_a_move_writes_changes_for_both_districts_and_none_for_the_city(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
    engine.apply_batch([envelope(enterprise(E3, [(JH, "2020-01-01", "")], [], version=1)),
                        envelope(talent("T3", "S3", "innovation_team", JH, "2023-08-01", credit_code=E3))])
    move = envelope(enterprise(E3, [(JH, "2020-01-01", "2023-07-01"), (XH, "2023-07-01", "")], [],
                               version=2))
    engine.apply_batch([move])
    jh = engine.history(None, "talent_teams", JH, "now")
    xh = engine.history(None, "talent_teams", XH, "now")
    # talent is confidential: its changes name no record (other indicators name their cause)
    assert [p.value.value for p in jh] == ["1", "0"] and jh[-1].cause_event_id == ""
    assert [p.value.value for p in xh] == ["0", "1"] and xh[-1].previous_value == "0"
    assert [p.value.value for p in engine.history(None, "talent_teams", CITY, "now")] == ["1"]


def test_a_revised_statistic_changes_the_ratio_and_history_keeps_both(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
    engine.apply_batch([envelope(statistic("440700", 2023, "gdp", "4000000")),
                        envelope(statistic("440700", 2023, "rd_expenditure", "110000"))])
    revision = envelope(statistic("440700", 2023, "rd_expenditure", "120000", revision=2))
    assert engine.apply_batch([revision]) > 0
    # 110,000 / 4,000,000 * 100 = 2.75, then 120,000 / 4,000,000 * 100 = 3.00.
    points = engine.history(None, "rd_intensity", CITY, "2024-12-31")
    assert [(p.value.value, p.previous_value) for p in points] == [("2.75", ""), ("3.00", "2.75")]
    assert points[-1].cause_event_id == revision.id and points[-1].value.period == "2023"
    with sessions() as s:
        rows = s.scalars(select(OutboxRecord).where(
            OutboxRecord.key == f"{PLAN.id}/rd_intensity/{CITY}/2024-12-31")).all()
    assert [pb.IndicatorChanged.FromString(r.payload).value.value for r in rows] == ["2.75", "3.00"]
    assert {pb.IndicatorChanged.FromString(r.payload).series for r in rows} == {"2024-12-31"}
    assert {r.topic for r in rows} == {INDICATOR_CHANGES.name}
    assert rows[-1].sequence == points[-1].cursor


def test_a_redelivered_batch_changes_nothing(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
    batch = [envelope(r) for r in world()]
    assert engine.apply_batch(batch) > 0
    with sessions() as s:
        staged = s.scalar(select(func.count()).select_from(OutboxRecord))
    assert engine.apply_batch(batch) == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxRecord)) == staged


def test_an_older_snapshot_after_a_newer_one_is_ignored(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
    newer = enterprise(E3, [(XH, "2020-01-01", "")],
                       [qualification("high_tech_enterprise", "2022-03-01", "2025-03-01")], version=3)
    older = enterprise(E3, [(XH, "2020-01-01", "")], [], version=2)
    engine.apply_batch([envelope(newer)])
    assert engine.apply_batch([envelope(older)]) == 0
    assert engine.value(None, "high_tech_enterprises", XH, D24).value == "1"


def test_tick_recomputes_now_when_a_certificate_expires_at_midnight(sessions: sessionmaker) -> None:
    clock = Clock(date(2024, 12, 30))
    engine = IndicatorEngine(sessions, [PLAN], clock)
    code = "914407000000000099"
    engine.apply_batch([envelope(enterprise(code, [(XH, "2015-01-01", "")], [
        qualification("high_tech_enterprise", "2021-12-31", "2024-12-31")]))])
    assert engine.tick() == 0   # same day: nothing to do
    clock.day = date(2024, 12, 31)
    assert engine.tick() > 0
    points = engine.history(None, "high_tech_enterprises", CITY, "now")
    assert [(p.value.value, p.cause_event_id) for p in points][-2:] == [("1", points[0].cause_event_id),
                                                                         ("0", "")]
    assert engine.tick() == 0


def test_changes_after_filters_by_indicator_and_territory(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
    engine.apply_batch([envelope(r) for r in world()])
    picked = engine.changes_after(0, {"gba_joint_labs"}, {CITY}, limit=1000)
    assert picked and {(c.value.indicator_id, c.value.territory) for c in picked} == {("gba_joint_labs", CITY)}
    cursors = [c.cursor for c in engine.changes_after(0, set(), set(), limit=1000)]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert engine.changes_after(cursors[-1], set(), set()) == []
    assert len(engine.changes_after(0, set(), set(), limit=5)) == 5


def test_recompute_all_after_a_fresh_start_changes_nothing_more(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
    engine.apply_batch([envelope(r) for r in world()])
    engine.recompute_all()   # fills indicators no event touched yet
    assert engine.recompute_all() == 0


def test_a_batch_of_500_enterprises_counts_each_once(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], Clock(D24))
    batch: list[Envelope] = [
        envelope(enterprise(f"9144070000{n:08d}", [(XH, "2015-01-01", "")],
                            [qualification("high_tech_enterprise", "2024-01-02", "2027-01-02")]))
        for n in range(500)]
    assert engine.apply_batch(batch) > 0
    assert engine.value(None, "high_tech_enterprises", CITY, D24).value == "500"
    assert engine.value(None, "high_tech_enterprises", XH, D24).value == "500"

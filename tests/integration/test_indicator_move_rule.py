"""在地统计: flows stay in the district where they happened, stocks follow the enterprise.

Enterprise M, registered in 蓬江 (440703) since 2015, moves to 江海 (440704) on 2023-07-01.
  - high-tech certificate granted 2022-03-01, valid until 2025-03-01 (a stock);
  - loan L1 of 500,000.00 CNY on 2022-06-01, while in 蓬江 (a flow);
  - a PhD commissioner placed at M on 2022-09-01, while in 蓬江 (a flow);
  - loan L2 of 200,000.00 CNY on 2023-09-01, after the move (a flow, in 江海).
Worked by hand:
  on 2023-06-30  certificate 蓬江 1;  credit 蓬江 500,000.00;  beneficiaries 蓬江 1;  PhD 蓬江 1
  on 2024-12-31  certificate 江海 1 (moved with M from 2023-07-01), 蓬江 0;
                 credit 蓬江 500,000.00 (stays), 江海 200,000.00, city 700,000.00;
                 beneficiaries 蓬江 1 (L1), 江海 1 (L2), city 1 (one enterprise);
                 PhD 蓬江 1, 江海 0, city 1.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.orm import sessionmaker

from services.indicators.engine import MODELS, IndicatorEngine, compute_from_snapshots
from services.indicators.samples import enterprise, envelope, finance, qualification, talent
from tests.plans import plan_for_counting
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.territory import CITY

PLAN = plan_for_counting()   # hand-worked values of a few records: nothing withheld
M = "914407000000000777"
PJ, JH = "440703", "440704"
BEFORE, END = date(2023, 6, 30), date(2024, 12, 31)
CERTIFICATE = qualification("high_tech_enterprise", "2022-03-01", "2025-03-01")
STAYING = enterprise(M, [(PJ, "2015-01-01", "")], [CERTIFICATE], version=1)
MOVED = enterprise(M, [(PJ, "2015-01-01", "2023-07-01"), (JH, "2023-07-01", "")], [CERTIFICATE], version=2)
L1 = finance("L1", "loan", M, PJ, 50_000_000, "2022-06-01")
L2 = finance("L2", "loan", M, JH, 20_000_000, "2023-09-01")
PHD = talent("T-phd", "S-phd", "phd_commissioner", PJ, "2022-09-01", credit_code=M)

EXPECTED = {
    (BEFORE, "high_tech_enterprises"): {CITY: "1", PJ: "1", JH: "0"},
    (BEFORE, "finance_credit"): {CITY: "500000.00", PJ: "500000.00", JH: "0.00"},
    (BEFORE, "finance_beneficiaries"): {CITY: "1", PJ: "1", JH: "0"},
    (BEFORE, "phd_commissioners"): {CITY: "1", PJ: "1", JH: "0"},
    (END, "high_tech_enterprises"): {CITY: "1", PJ: "0", JH: "1"},
    (END, "finance_credit"): {CITY: "700000.00", PJ: "500000.00", JH: "200000.00"},
    (END, "finance_beneficiaries"): {CITY: "1", PJ: "1", JH: "1"},
    (END, "phd_commissioners"): {CITY: "1", PJ: "1", JH: "0"},
}


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    create_schema(engine, MODELS)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.mark.parametrize(("day", "indicator_id"), list(EXPECTED), ids=[f"{i}@{d}" for d, i in EXPECTED])
def test_the_from_scratch_reading_follows_the_rule(day: date, indicator_id: str) -> None:
    world = [MOVED, L1, L2, PHD]
    got = {t: compute_from_snapshots(PLAN, world, t, day, indicator_id).value for t in (CITY, PJ, JH)}
    assert got == EXPECTED[(day, indicator_id)]


def test_the_engine_follows_the_rule_in_any_arrival_order(sessions: sessionmaker) -> None:
    for order in ([STAYING, L1, PHD, MOVED, L2], [L2, MOVED, PHD, L1, STAYING], [PHD, L1, L2, MOVED]):
        engine = IndicatorEngine(sessions, [PLAN], lambda: END, )
        for record in order:
            engine.apply_batch([envelope(record)])
        for (day, indicator_id), expected in EXPECTED.items():
            got = {t: engine.value(None, indicator_id, t, day).value for t in (CITY, PJ, JH)}
            assert got == expected, (order, day, indicator_id)
        with sessions.begin() as s:
            for model in reversed(MODELS):
                s.query(model).delete()


def test_a_move_never_lowers_the_old_districts_published_cumulative_values(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], lambda: END)
    engine.apply_batch([envelope(STAYING), envelope(L1), envelope(PHD)])
    move = envelope(MOVED)
    engine.apply_batch([move])
    for indicator_id in ("finance_credit", "finance_beneficiaries", "phd_commissioners"):
        for series in ("now", "2024-12-31"):
            points = engine.history(None, indicator_id, PJ, series)
            assert len(points) == 1 and points[0].cause_event_id != move.id, (indicator_id, series)
    # The certificate (a stock) left 蓬江 with the enterprise and arrived in 江海.
    pj = engine.history(None, "high_tech_enterprises", PJ, "2024-12-31")
    jh = engine.history(None, "high_tech_enterprises", JH, "2024-12-31")
    assert [p.value.value for p in pj] == ["1", "0"] and pj[-1].cause_event_id == move.id
    assert [p.value.value for p in jh] == ["0", "1"]

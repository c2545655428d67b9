"""Finding 5 of the hardening issue: a loan alone in its district must not show its amount in
any output of the engine (values, as-of reads, history, the change log, the indicators topic),
and no public change may point at the finance record that caused it."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.indicators.engine import MODELS, IndicatorEngine
from services.indicators.samples import enterprise, envelope, finance
from tests.plans import PLAN_PATH
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.outbox import OutboxRecord
from yinling.plan import load_plan
from yinling.territory import CITY
from yinling.topics import INDICATOR_CHANGES
from yinling.v1 import indicators_pb2 as pb

PLAN = load_plan(PLAN_PATH)   # as published: at least 3 contributors per shown value
D24 = date(2024, 12, 31)
PJ, JH, XH = "440703", "440704", "440705"
SECRET_FEN = 987_654_321   # 9,876,543.21 CNY: the lone loan's amount
CODES = [f"91440700MA5{n:06d}" for n in range(20)]


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    create_schema(engine, MODELS)
    yield make_sessionmaker(engine)
    engine.dispose()


def lender_world() -> list:   # type: ignore[type-arg]
    """One loan in 蓬江 (the secret), 4 enterprises' loans in 江海, 6 in 新会."""
    places = [PJ] + [JH] * 4 + [XH] * 6
    records = []
    for n, district in enumerate(places):
        code = CODES[n]
        records.append(enterprise(code, [(district, "2020-01-01", "")], []))
        amount = SECRET_FEN if district == PJ else 100_000_000
        records.append(finance(f"F{n}", "loan", code, district, amount, "2023-05-01"))
    return records


def by_territory(engine: IndicatorEngine, indicator_id: str) -> dict[str, pb.IndicatorValue]:
    return {t: engine.value(None, indicator_id, t, D24) for t in PLAN.territories}


def test_a_loan_alone_in_its_district_shows_in_no_output_of_the_engine(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], lambda: D24)
    engine.apply_batch([envelope(r) for r in lender_world()])

    credit = by_territory(engine, "finance_credit")
    assert credit[PJ].suppressed and credit[PJ].value == "" and "fewer than 3" in credit[PJ].note
    # 江海 is withheld with it, or the city minus the others would give 蓬江 away
    assert credit[JH].suppressed and credit[JH].value == ""
    assert not credit[XH].suppressed and credit[XH].value == "6000000.00"
    assert not credit[CITY].suppressed and credit[CITY].value == "19876543.21"
    beneficiaries = by_territory(engine, "finance_beneficiaries")
    assert beneficiaries[PJ].suppressed and beneficiaries[XH].value == "6"
    assert engine.value(None, "finance_credit", PJ, date(2023, 6, 1)).suppressed   # any day asked

    secret = "9876543.21"
    history = engine.history(None, "finance_credit", PJ, "now")
    assert history and all(secret not in p.SerializeToString().decode("utf-8", "replace") for p in history)
    with sessions() as s:
        published = [r for r in s.scalars(select(OutboxRecord).where(OutboxRecord.topic == INDICATOR_CHANGES.name))]
    changes = [pb.IndicatorChanged.FromString(r.payload) for r in published]
    money = [c for c in changes if c.value.indicator_id.startswith("finance_")]
    assert money and all(c.cause_event_id == "" for c in money)
    assert all(secret not in (c.value.value, c.previous_value) for c in changes)


def test_a_third_lender_in_the_district_makes_its_value_public(sessions: sessionmaker) -> None:
    engine = IndicatorEngine(sessions, [PLAN], lambda: D24)
    engine.apply_batch([envelope(r) for r in lender_world()])
    more = []
    for n in (18, 19):
        more += [enterprise(CODES[n], [(PJ, "2020-01-01", "")], []),
                 finance(f"F{n}", "loan", CODES[n], PJ, 100, "2024-01-02")]
    engine.apply_batch([envelope(r) for r in more])
    pj = engine.value(None, "finance_credit", PJ, D24)
    assert not pj.suppressed and pj.value == "9876545.21"
    assert not engine.value(None, "finance_credit", JH, D24).suppressed
    assert [p.value.suppressed for p in engine.history(None, "finance_credit", PJ, "now")][-1] is False

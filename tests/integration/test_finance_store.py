"""Finance command handlers against a real database: concurrency and uniqueness guards."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from services.finance.handlers import FinanceCommands, _write
from services.finance.store import MODELS, FinanceHistoryRow, FinanceRow, columns_of
from yinling.credit_code import make_credit_code
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.errors import Conflict
from yinling.outbox import OutboxRecord
from yinling.v1 import finance_pb2 as pb

CODE = make_credit_code("440784", 31415926)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    create_schema(engine, MODELS)
    yield make_sessionmaker(engine)
    engine.dispose()


def a_listing() -> pb.RecordFinanceRequest:
    return pb.RecordFinanceRequest(kind="listing", enterprise_credit_code=CODE, district="440784",
                                   exchange="hkex", granted_on="2022-12-30")


def test_a_command_decided_on_a_stale_version_is_refused_and_changes_nothing(
        sessions: sessionmaker) -> None:
    commands = FinanceCommands(sessions, on_commit=lambda: None)
    created = commands.record(a_listing(), "steward@test")
    commands.correct(pb.CorrectFinanceRequest(record_id=created.id, field="granted_on",
                                              value="2022-12-29", reason="prospectus"),
                     "steward@test")
    stale = pb.FinanceRecord()
    stale.CopyFrom(created)
    stale.version = 2
    stale.exchange = "sse"
    with pytest.raises(Conflict), sessions.begin() as s:
        _write(s, stale, expected_version=1)  # another command already made version 2
    with sessions() as s:
        row = s.get(FinanceRow, created.id)
        kept = row.record()
        assert (row.version, kept.exchange, kept.granted_on) == (2, "hkex", "2022-12-29")


def test_the_database_itself_refuses_a_second_live_listing(
        sessions: sessionmaker) -> None:
    created = FinanceCommands(sessions, on_commit=lambda: None).record(a_listing(), "steward@test")
    twin = pb.FinanceRecord()
    twin.CopyFrom(created)
    twin.id = "another-id"
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(FinanceRow(id=twin.id, **columns_of(twin)))
        s.flush()


def test_each_change_writes_one_history_row_and_one_outbox_event(
        sessions: sessionmaker) -> None:
    woken: list[int] = []
    commands = FinanceCommands(sessions, on_commit=lambda: woken.append(1))
    created = commands.record(a_listing(), "steward@test")
    commands.withdraw(pb.WithdrawFinanceRequest(record_id=created.id, withdrawn_on="2023-01-05",
                                                reason="listing abandoned"), "steward@test")
    with sessions() as s:
        history = s.scalars(select(FinanceHistoryRow).order_by(FinanceHistoryRow.version)).all()
        events = s.scalars(select(OutboxRecord).order_by(OutboxRecord.id)).all()
        assert [h.event_id for h in history] == [e.event_id for e in events]
        assert [e.sequence for e in events] == [1, 2]
        assert s.scalar(select(func.count()).select_from(FinanceRow)) == 1
    assert len(woken) == 2

"""The shared command plumbing on SQLite and PostgreSQL: one transaction per command, retries
answered once, stale versions refused, history row tied to its outbox event, pages."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, LargeBinary, String, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from yinling.aggregate_store import ChangeLog, fetch_page, run_command, update_versioned
from yinling.commands import CommandLog, remember_response, request_digest
from yinling.db import Base, create_schema, make_engine, make_sessionmaker
from yinling.errors import Conflict, ValidationError
from yinling.history import HistoryColumns, history_rows
from yinling.outbox import OutboxRecord
from yinling.v1.common_pb2 import HistoryEntry as Snap  # any proto with a version will do
from yinling.v1.platforms_pb2 import RevokePlatformRequest as Req  # any request with an id


def req(request_id: str, **fields: str) -> Req:
    return Req(request_id=request_id, **fields)


class Widget(Base):
    __tablename__ = "store_test_widget"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)


class WidgetHistory(Base, HistoryColumns):
    __tablename__ = "store_test_widget_history"
    aggregate_key = "widget_id"

    widget_id: Mapped[str] = mapped_column(String(40))


CHANGES = ChangeLog("yinling.test.widgets", "/yinling/test", "widget", WidgetHistory)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    create_schema(engine, (Widget, WidgetHistory))
    yield make_sessionmaker(engine)
    engine.dispose()


def count(sessions: sessionmaker, model: type) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def add_widget(s: Session, widget_id: str, change: str = "made") -> Snap:
    snap = Snap(version=1, change=change)
    s.add(Widget(id=widget_id, version=1, snapshot=snap.SerializeToString()))
    CHANGES.record(s, key=widget_id, snapshot=snap, version=1, change=change, actor="a",
                   reason="", corrected=(), payload=snap, at=datetime.now(UTC))
    return snap


def test_a_retried_request_gets_the_first_answer_and_changes_nothing(sessions: sessionmaker) -> None:
    commits: list[int] = []
    calls: list[str] = []

    def body(s: Session) -> Snap:
        calls.append("ran")
        return add_widget(s, f"w{len(calls)}")
    first = run_command(sessions, lambda: commits.append(1), request=req("r-1"), command="make",
                        answer=Snap, body=body)
    again = run_command(sessions, lambda: commits.append(1), request=req("r-1"), command="make",
                        answer=Snap, body=body)
    assert again == first and calls == ["ran"] and commits == [1]
    assert count(sessions, Widget) == 1 and count(sessions, OutboxRecord) == 1


def test_a_failing_command_leaves_nothing_written(sessions: sessionmaker) -> None:
    def body(s: Session) -> Snap:
        add_widget(s, "w1")
        raise Conflict("version", "refused")
    with pytest.raises(Conflict):
        run_command(sessions, lambda: None, request=req("r-2"), command="make", answer=Snap, body=body)
    assert [count(sessions, m) for m in (Widget, WidgetHistory, OutboxRecord, CommandLog)] == [0] * 4


def test_the_loser_of_a_race_on_one_request_id_answers_with_the_winners_result(
        sessions: sessionmaker) -> None:
    def body(_s: Session) -> Snap:
        with sessions.begin() as other:  # the winner commits while this one is running
            remember_response(other, "r-3", "make", request_digest(req("r-3")),
                              Snap(version=7).SerializeToString())
        raise IntegrityError("INSERT", {}, Exception("duplicate request_id"))
    answer = run_command(sessions, lambda: None, request=req("r-3"), command="make", answer=Snap,
                         body=body)
    assert answer.version == 7


def test_a_race_error_without_a_remembered_answer_is_raised(sessions: sessionmaker) -> None:
    def body(_s: Session) -> Snap:
        raise IntegrityError("INSERT", {}, Exception("duplicate"))
    with pytest.raises(IntegrityError):
        run_command(sessions, lambda: None, request=req("r-4"), command="make", answer=Snap,
                    body=body)


def test_a_request_id_reused_for_another_command_is_refused_naming_request_id(
        sessions: sessionmaker) -> None:
    run_command(sessions, lambda: None, request=req("r-5"), command="make", answer=Snap,
                body=lambda s: add_widget(s, "w5"))
    with pytest.raises(ValidationError) as refused:
        run_command(sessions, lambda: None, request=req("r-5"), command="break", answer=Snap,
                    body=lambda s: add_widget(s, "w6"))
    assert refused.value.field == "request_id" and "make" in refused.value.reason
    assert count(sessions, Widget) == 1


def test_a_request_id_reused_for_another_request_is_refused_naming_request_id(
        sessions: sessionmaker) -> None:
    run_command(sessions, lambda: None, request=req("r-6", reason="first"), command="make",
                answer=Snap, body=lambda s: add_widget(s, "w7"))
    with pytest.raises(ValidationError) as refused:
        run_command(sessions, lambda: None, request=req("r-6", reason="second"), command="make",
                    answer=Snap, body=lambda s: add_widget(s, "w8"))
    assert refused.value.field == "request_id" and "different fields" in refused.value.reason
    assert count(sessions, Widget) == 1


def test_an_answer_remembered_before_requests_were_digested_still_answers_its_retry(
        sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        s.add(CommandLog(request_id="r-7", command="make", response=Snap(version=3).SerializeToString(),
                         recorded_at=datetime.now(UTC), digest=None))
    answer = run_command(sessions, lambda: None, request=req("r-7"), command="make", answer=Snap,
                         body=lambda s: add_widget(s, "w9"))
    assert answer.version == 3 and count(sessions, Widget) == 0


def test_a_command_log_of_an_earlier_version_gains_the_digest_column(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE command_log (request_id VARCHAR(100) PRIMARY KEY, "
                          "command VARCHAR(100), response BLOB, recorded_at DATETIME)"))
    create_schema(engine, [])
    assert "digest" in {c["name"] for c in inspect(engine).get_columns("command_log")}
    engine.dispose()


def test_a_write_on_a_stale_version_is_a_conflict_naming_the_version(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        add_widget(s, "w1")
    with pytest.raises(Conflict) as refused, sessions.begin() as s:
        update_versioned(s, Widget, "id", "w1", 0, {"version": 2}, "changed meanwhile")
    assert (refused.value.field, refused.value.reason) == ("version", "changed meanwhile")
    with sessions.begin() as s:
        update_versioned(s, Widget, "id", "w1", 1, {"version": 2})
    with sessions() as s:
        assert s.get(Widget, "w1").version == 2  # type: ignore[union-attr]


def test_the_history_row_keeps_the_event_id_of_its_outbox_event(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        add_widget(s, "w1", change="made")
    with sessions() as s:
        event = s.scalars(select(OutboxRecord)).one()
        rows = history_rows(s, WidgetHistory, "w1")
    assert [r.event_id for r in rows] == [event.event_id]
    assert (event.key, event.ce_subject, event.sequence) == ("w1", "w1", 1)
    assert event.ce_type.endswith(".widget.made.v1") and event.topic == "yinling.test.widgets"


def test_a_page_holds_the_ordered_slice_and_the_total_that_match(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        for name in ("w3", "w1", "w2", "x9"):
            add_widget(s, name, change=name)
    with sessions() as s:
        page, total = fetch_page(s, Widget, [Widget.id.like("w%")], (Widget.id,), 1, 1,
                                 Snap.FromString)
    assert [p.change for p in page] == ["w2"] and total == 3

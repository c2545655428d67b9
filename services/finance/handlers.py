"""Command handlers: each command is one transaction holding the state change, its history
row, its outbox event and its idempotency answer; a rejected command writes nothing."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.finance import domain
from services.finance.store import FinanceHistoryRow, FinanceRow, columns_of, listing_key
from yinling.aggregate_store import ChangeLog, run_command, update_versioned
from yinling.dates import today_in_city
from yinling.errors import NotFound, ValidationError
from yinling.topics import FINANCE_EVENTS
from yinling.v1.finance_pb2 import (
    CorrectFinanceRequest,
    FinanceChanged,
    FinanceRecord,
    RecordFinanceRequest,
    WithdrawFinanceRequest,
)

SOURCE = "/yinling/finance"
CHANGES = ChangeLog(FINANCE_EVENTS.name, SOURCE, "finance", FinanceHistoryRow)
Clock = Callable[[], datetime]
# Given the session and the command's time: the change, and the version it was decided on.
Decide = Callable[[Session, datetime], tuple[domain.Change, int | None]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FinanceCommands:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None],
                 clock: Clock = _utc_now) -> None:
        self.sessions = sessions
        self.on_commit = on_commit
        self.clock = clock

    def record(self, request: RecordFinanceRequest, actor: str) -> FinanceRecord:
        def decide(_s: Session, now: datetime) -> tuple[domain.Change, int | None]:
            return domain.record(request, str(uuid.uuid4()), today_in_city(now), now), None
        return self._run("record", request, actor, decide)

    def withdraw(self, request: WithdrawFinanceRequest, actor: str) -> FinanceRecord:
        def decide(s: Session, now: datetime) -> tuple[domain.Change, int | None]:
            current = _load(s, request.record_id)
            return domain.withdraw(current, request, today_in_city(now), now), current.version
        return self._run("withdraw", request, actor, decide)

    def correct(self, request: CorrectFinanceRequest, actor: str) -> FinanceRecord:
        def decide(s: Session, now: datetime) -> tuple[domain.Change, int | None]:
            current = _load(s, request.record_id)
            return domain.correct(current, request, today_in_city(now), now), current.version
        return self._run("correct", request, actor, decide)

    def _run(self, command: str, request: Message, actor: str,
             decide: Decide) -> FinanceRecord:
        def body(s: Session) -> FinanceRecord:
            now = self.clock()
            change, expected = decide(s, now)
            _write(s, change.record, expected)
            # The payload carries the confidential per-enterprise amount: FINANCE_EVENTS is a
            # government-internal topic (subscribers are authorised bureaus); the public only
            # ever sees aggregates, computed downstream by the open-data feed.
            payload = FinanceChanged(record=change.record, change=change.change, actor=actor,
                                     reason=change.reason, corrected_fields=change.corrected_fields)
            CHANGES.record(s, key=change.record.id, snapshot=change.record,
                           version=change.record.version, change=change.change, actor=actor,
                           reason=change.reason, corrected=change.corrected_fields,
                           payload=payload, at=now)
            return change.record
        # Two deliveries of one request_id raced: the loser answers with the winner's result.
        return run_command(self.sessions, self.on_commit, request=request, command=command,
                           answer=FinanceRecord, body=body)


def _load(s: Session, record_id: str) -> FinanceRecord:
    if not record_id:
        raise ValidationError("record_id", "is required")
    row = s.get(FinanceRow, record_id)
    if row is None:
        raise NotFound("finance record", record_id)
    return row.record()


def _write(s: Session, record: FinanceRecord, expected_version: int | None) -> None:
    """Insert or update with `WHERE version = expected`; map the listing constraint to the field."""
    key = listing_key(record)
    if key is not None:
        holder = s.scalar(select(FinanceRow.id).where(FinanceRow.listing_key == key,
                                                      FinanceRow.id != record.id))
        if holder is not None:
            raise _already_listed(record, holder)
    # No savepoint: an IntegrityError aborts the whole command, which is what we want.
    try:
        if expected_version is None:
            s.add(FinanceRow(id=record.id, **columns_of(record)))
            s.flush()
            return
        update_versioned(s, FinanceRow, "id", record.id, expected_version, columns_of(record),
                         f"record {record.id} changed meanwhile (expected version "
                         f"{expected_version}); read it again and retry")
    except IntegrityError:
        raise _already_listed(record, "another record") from None


def _already_listed(record: FinanceRecord, holder: str) -> ValidationError:
    return ValidationError("exchange", f"enterprise {record.enterprise_credit_code} is already "
                                       f"listed on {record.exchange} ({holder})")

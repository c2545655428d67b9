"""Applies accepted submissions through the owning service's API, in row order, exactly once.

Rows go in ApplyCommands calls of at most 500 commands; each command carries the request_id
"ingest-<submission>-<row>-<n>", so after a crash (sent, not yet marked) the owner answers
the resent command from its record of request ids and applies nothing twice. Only an owner
that is away (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED) is retried, with backoff.

A row the owner refuses (a race with another change since validation) is marked with the
owner's field and reason. An all-or-nothing submission (the default) then stops: rows after
that call are not sent and the submission ends `stopped`; a partial one goes on and ends
`applied_with_refusals`. Rows applied before the refusal stay applied: the owners' APIs have
no way to take a command back, only later commands that correct it.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import grpc
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from tenacity import Retrying, retry_if_exception, wait_exponential

from services.ingest import enterprise_rows, events
from services.ingest.handlers import describe
from services.ingest.kinds import kinds
from services.ingest.store import SubmissionRecord, SubmissionRow
from yinling import metrics
from yinling.auth import bearer
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import enterprises_pb2_grpc as ent_grpc
from yinling.v1.common_pb2 import CommandError

log = logging.getLogger(__name__)

RETRYABLE_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                   grpc.StatusCode.ABORTED}
MAX_COMMANDS = 500  # the owners' ApplyCommands bound
MAX_REFUSAL = 300  # characters of the owner's answer kept with the row
PENDING = ("accepted", "applying")


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, grpc.RpcError) and exc.code() in RETRYABLE_CODES  # type: ignore[attr-defined]


def refusal_of(code: str, message: str) -> str:
    text = f"{code}: {message}"
    return text if len(text) <= MAX_REFUSAL else text[:MAX_REFUSAL] + "..."


class Applier:
    def __init__(self, sessions: sessionmaker, enterprises_address: str, token: str,
                 on_commit: Callable[[], None] = lambda: None) -> None:
        self.sessions = sessions
        self.on_commit = on_commit
        self.channel = grpc.insecure_channel(enterprises_address)
        self.enterprises = ent_grpc.EnterpriseRegistryStub(self.channel)
        self.metadata = bearer(token)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="ingest-applier", daemon=True)

    def start(self) -> Applier:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
        self.channel.close()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.apply_next()
            except SQLAlchemyError as exc:  # its own database away: wait, never die
                log.warning("ingest applier: database unavailable (%s); retrying", exc)
                busy = False
            except InterruptedError:
                return
            if not busy:
                self._wake.wait(1.0)
                self._wake.clear()

    def apply_next(self) -> bool:
        """Apply the oldest pending submission to its end; False when there is none."""
        with self.sessions.begin() as session:
            record = session.scalars(select(SubmissionRecord).where(SubmissionRecord.status.in_(PENDING))
                                     .order_by(SubmissionRecord.received_at).limit(1)).first()
            if record is None:
                return False
            record.status = "applying"
            submission_id, kind, reason, partial = record.id, record.kind, record.reason, record.partial
        refused = False
        while not (refused and not partial):
            with self.sessions() as session:
                rows = session.execute(select(SubmissionRow.id, SubmissionRow.row, SubmissionRow.payload)
                                       .where(SubmissionRow.submission_id == submission_id,
                                              SubmissionRow.applied_at.is_(None))
                                       .order_by(SubmissionRow.row).limit(MAX_COMMANDS)).all()
            if not rows:
                break
            refused = self._apply_rows(submission_id, kind, reason, rows) or refused
        self._finish(submission_id, refused, partial)
        return True

    def _apply_rows(self, submission_id: str, kind: str, reason: str, rows: list) -> bool:  # type: ignore[type-arg]
        build = enterprise_rows.BUILDERS[kind]
        commands: list[ent.EnterpriseCommand] = []
        owners: list[int] = []  # the index in `rows` of each command's row
        for index, (_id, number, payload) in enumerate(rows):
            row_commands = build(json.loads(payload), reason)
            if commands and len(commands) + len(row_commands) > MAX_COMMANDS:
                rows = rows[:index]  # the rest go in the next call, whole rows only
                break
            for n, command in enumerate(row_commands):
                request = getattr(command, command.WhichOneof("command") or "")
                request.request_id = f"ingest-{submission_id}-{number}-{n}"
                commands.append(command)
                owners.append(index)
        outcomes = self._send(commands)
        refusals: dict[int, tuple[str, str]] = {}
        for index, outcome in zip(owners, outcomes, strict=True):
            if outcome.WhichOneof("outcome") == "error" and index not in refusals:
                error = outcome.error
                column = kinds()[kind].column_of_field(error.field) or error.field
                refusals[index] = (column, refusal_of(error.code, error.message))
                metrics.INGEST_ROWS_REFUSED.labels(error.code).inc()
        now = datetime.now(UTC)
        with self.sessions.begin() as session:  # one bulk UPDATE by primary key
            session.execute(update(SubmissionRow), [
                {"id": row_id, "applied_at": now, "refusal": refusals.get(index, ("", ""))[1],
                 "refusal_column": refusals.get(index, ("", ""))[0]}
                for index, (row_id, _number, _payload) in enumerate(rows)])
        return bool(refusals)

    def _send(self, commands: list[ent.EnterpriseCommand]) -> list[ent.EnterpriseCommandOutcome]:
        retrying = Retrying(retry=retry_if_exception(_transient), wait=wait_exponential(0.2, max=10),
                            before_sleep=lambda rs: log.warning("enterprises unavailable; retrying"))
        try:
            for attempt in retrying:
                with attempt:
                    if self._stop.is_set():
                        raise InterruptedError
                    answer = self.enterprises.ApplyCommands(
                        ent.ApplyEnterpriseCommandsRequest(commands=commands), metadata=self.metadata,
                        timeout=60)
        except grpc.RpcError as exc:  # refused as a whole (a token without the role): every row says so
            error = CommandError(code=exc.code().name, message=exc.details() or "")  # type: ignore[attr-defined]
            return [ent.EnterpriseCommandOutcome(error=error) for _ in commands]
        return list(answer.outcomes)

    def _finish(self, submission_id: str, refused: bool, partial: bool) -> None:
        with self.sessions.begin() as session:
            record = session.get(SubmissionRecord, submission_id)
            assert record is not None
            record.status = ("applied_with_refusals" if partial else "stopped") if refused else "applied"
            events.record(session, describe(session, record, details=False), "applied")
        self.on_commit()

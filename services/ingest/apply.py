"""Applies accepted submissions through the owning service's API, in row order, exactly once.

Rows go to the owner in calls of at most 250 rows (ApplyCommands takes 500 commands; a row
is at most two); each request carries the request_id "ingest-<submission>-<row>-<n>", so
after a crash (sent, not yet marked) the owner answers the resent requests from its record of
request ids and applies nothing twice. Only an owner that is away (UNAVAILABLE,
DEADLINE_EXCEEDED, ABORTED) is retried, with backoff.

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
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import grpc
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from tenacity import Retrying, retry_if_exception, wait_exponential

from services.ingest import events
from services.ingest.handlers import describe
from services.ingest.kinds import kinds
from services.ingest.owners import RETRYABLE_CODES, Refusal, Sender, owner
from services.ingest.store import SubmissionRecord, SubmissionRow
from yinling import metrics
from yinling.auth import bearer

log = logging.getLogger(__name__)

ROWS_PER_CALL = 250
MAX_REFUSAL = 300  # characters of the owner's answer kept with the row
PENDING = ("accepted", "applying")


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, grpc.RpcError) and exc.code() in RETRYABLE_CODES  # type: ignore[attr-defined]


def refusal_of(code: str, message: str) -> str:
    text = f"{code}: {message}"
    return text if len(text) <= MAX_REFUSAL else text[:MAX_REFUSAL] + "..."


class Applier:
    def __init__(self, sessions: sessionmaker, addresses: Mapping[str, str], token: str,
                 on_commit: Callable[[], None] = lambda: None,
                 connect: Callable[[str], grpc.Channel] = grpc.insecure_channel) -> None:
        """`addresses`: the gRPC address of each owning service, by its name; `connect`
        opens a channel to one (TLS by configuration: yinling.tls.channel)."""
        self.connect = connect
        self.sessions = sessions
        self.on_commit = on_commit
        self.addresses = addresses
        self.metadata = bearer(token)
        self._channels: dict[str, grpc.Channel] = {}
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
        if self._thread.ident is not None:  # started
            self._thread.join(10)
        for channel in self._channels.values():
            channel.close()

    def sender(self, owner_name: str) -> Sender:
        if owner_name not in self._channels:
            self._channels[owner_name] = self.connect(self.addresses[owner_name])
        return owner(owner_name).sender(self._channels[owner_name], self.metadata)

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
        sender = self.sender(kinds()[kind].owner)
        refused = False
        while not (refused and not partial):
            with self.sessions() as session:
                rows = session.execute(select(SubmissionRow.id, SubmissionRow.row, SubmissionRow.payload)
                                       .where(SubmissionRow.submission_id == submission_id,
                                              SubmissionRow.applied_at.is_(None))
                                       .order_by(SubmissionRow.row).limit(ROWS_PER_CALL)).all()
            if not rows:
                break
            refused = self._apply_rows(sender, submission_id, kind, reason, rows) or refused
        self._finish(submission_id, refused, partial)
        return True

    def _apply_rows(self, sender: Sender, submission_id: str, kind: str, reason: str,
                    rows: list) -> bool:  # type: ignore[type-arg]
        spec = kinds()[kind]
        build = owner(spec.owner).builders[kind]
        requests = []
        for _id, number, payload in rows:
            row_requests = build(json.loads(payload), reason)
            for n, request in enumerate(row_requests):
                request.request_id = f"ingest-{submission_id}-{number}-{n}"  # type: ignore[attr-defined]
            requests.append(row_requests)
        refusals = self._send(sender, requests)
        now = datetime.now(UTC)
        marks = []
        for (row_id, _number, _payload), refusal in zip(rows, refusals, strict=True):
            mark = {"id": row_id, "applied_at": now, "refusal": "", "refusal_column": ""}
            if refusal is not None:
                mark["refusal"] = refusal_of(refusal.code, refusal.message)
                mark["refusal_column"] = spec.column_of_field(refusal.field) or refusal.field
                metrics.INGEST_ROWS_REFUSED.labels(refusal.code).inc()
            if spec.personal:
                mark["payload"] = ""  # the owner has it now; personal data is not kept here
            marks.append(mark)
        with self.sessions.begin() as session:  # one bulk UPDATE by primary key
            session.execute(update(SubmissionRow), marks)
        return any(r is not None for r in refusals)

    def _send(self, sender: Sender, rows: list) -> list[Refusal | None]:  # type: ignore[type-arg]
        retrying = Retrying(retry=retry_if_exception(_transient), wait=wait_exponential(0.2, max=10),
                            before_sleep=lambda rs: log.warning("owning service unavailable; retrying"))
        try:
            for attempt in retrying:
                with attempt:
                    if self._stop.is_set():
                        raise InterruptedError
                    answer = sender.send(rows)
        except grpc.RpcError as exc:  # refused as a whole (a token without the role): every row says so
            refusal = Refusal("", exc.code().name, exc.details() or "")  # type: ignore[attr-defined]
            return [refusal for _ in rows]
        return answer

    def _finish(self, submission_id: str, refused: bool, partial: bool) -> None:
        with self.sessions.begin() as session:
            record = session.get(SubmissionRecord, submission_id)
            assert record is not None
            record.status = ("applied_with_refusals" if partial else "stopped") if refused else "applied"
            events.record(session, describe(session, record, details=False), "applied")
        self.on_commit()

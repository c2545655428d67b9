"""The audit log: every write and every refused attempt, in the service's `audit_log` table and
on the audit topic through the service's outbox, so an audit record is lost by nothing.

Who (token id and agency), what (the method), when, from where (the peer) and the outcome.
A write that changes something is audited in the write's own transaction (a listener on the
service's sessions adds the row just before the commit), so a committed write always has its
audit record and a rolled-back one has none. Everything else (a refusal, a write that failed,
a retry answered from the command log) is audited in a transaction of its own once the
answer is known."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from yinling.db import AUTO_ID, Base
from yinling.envelope import event_type
from yinling.outbox import record_event
from yinling.topics import AUDIT
from yinling.v1.audit_pb2 import AccessAudited

AUDITED_TYPE = event_type("audit", "recorded")
MAX_REASON = 300
_PENDING = "yinling.audit.pending"
_WROTE = "yinling.audit.wrote"


class AuditRecord(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    token_id: Mapped[str] = mapped_column(String(40), index=True)
    agency: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(200))
    peer: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[str] = mapped_column(String(36))


@dataclass
class Attempt:
    token_id: str
    agency: str
    method: str
    peer: str
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    recorded: bool = False


_attempt: ContextVar[Attempt | None] = ContextVar("yinling_audit_attempt", default=None)


class AuditLog:
    """The audit of one service: its sessions, and the wake-up of its relay."""

    def __init__(self, service: str, sessions: sessionmaker, wake: Callable[[], None]) -> None:
        self.service = service
        self.sessions = sessions
        self.wake = wake
        event.listen(sessions, "after_flush", self._wrote)
        event.listen(sessions, "before_commit", self._stamp)
        event.listen(sessions, "after_commit", self._committed)
        event.listen(sessions, "after_rollback", self._rolled_back)

    def close(self) -> None:
        event.remove(self.sessions, "after_flush", self._wrote)
        event.remove(self.sessions, "before_commit", self._stamp)
        event.remove(self.sessions, "after_commit", self._committed)
        event.remove(self.sessions, "after_rollback", self._rolled_back)

    @contextmanager
    def attempt(self, attempt: Attempt) -> Iterator[Attempt]:
        """While a write runs: its commits are audited with it."""
        token = _attempt.set(attempt)
        try:
            yield attempt
        finally:
            _attempt.reset(token)

    def finish(self, attempt: Attempt, outcome: str, reason: str = "") -> None:
        """The answer is known: audit it unless a commit of the write already did."""
        if attempt.recorded and outcome == "OK":
            return
        with self.sessions.begin() as session:
            self._add(session, attempt, outcome, reason)
        attempt.recorded = True
        self.wake()

    # -- session listeners -------------------------------------------------
    def _wrote(self, session: Session, _context: object) -> None:
        session.info[_WROTE] = True

    def _stamp(self, session: Session) -> None:
        attempt = _attempt.get()
        wrote = session.info.pop(_WROTE, False) or session.new or session.dirty or session.deleted
        if attempt is None or attempt.recorded or not wrote or _PENDING in session.info:
            return
        self._add(session, attempt, "OK", "")
        session.info[_PENDING] = attempt

    def _committed(self, session: Session) -> None:
        attempt = session.info.pop(_PENDING, None)
        if attempt is not None:
            attempt.recorded = True

    def _rolled_back(self, session: Session) -> None:
        session.info.pop(_PENDING, None)
        session.info.pop(_WROTE, None)

    def _add(self, session: Session, attempt: Attempt, outcome: str, reason: str) -> None:
        reason = reason if len(reason) <= MAX_REASON else reason[:MAX_REASON] + "..."
        at = attempt.at.isoformat()
        payload = AccessAudited(token_id=attempt.token_id, agency=attempt.agency, service=self.service,
                                method=attempt.method, peer=attempt.peer, outcome=outcome,
                                reason=reason, at=at)
        row = record_event(session, topic=AUDIT.name, key=attempt.token_id or "anonymous",
                           ce_type=AUDITED_TYPE, source=f"/yinling/{self.service}",
                           subject=attempt.method, payload=payload, at=attempt.at)
        session.add(AuditRecord(at=attempt.at, token_id=attempt.token_id, agency=attempt.agency,
                                method=attempt.method, peer=attempt.peer, outcome=outcome,
                                reason=reason, event_id=row.event_id))


def recent_audit(session: Session, limit: int = 50) -> list[AuditRecord]:
    """The latest audit records first, for operators."""
    return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)))

"""The plumbing every command of a domain service shares: one transaction per command with
its request_id answer, the optimistic version check, the history row next to the outbox
event, and pages of current records. The domain rules stay in the services."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from yinling import logs
from yinling.commands import previous_response, remember_response, request_digest
from yinling.envelope import event_type
from yinling.errors import Conflict
from yinling.history import HistoryColumns
from yinling.outbox import record_event, recorded_ids

M = TypeVar("M", bound=Message)
log = logging.getLogger(__name__)


def run_command(sessions: sessionmaker, on_commit: Callable[[], None], *, request: Message,
                command: str, answer: type[M], body: Callable[[Session], M]) -> M:
    """Run `body` in one transaction with the remembered answer. A retry of the request's
    request_id gets that answer and changes nothing; the same id with another command or
    other fields is refused (yinling.commands). When `body` fails in any way and the same
    request was meanwhile answered (a copy of it racing this one: a unique key, a stale
    version, a busy database), this copy answers with the winner's result instead of an error."""
    request_id = getattr(request, "request_id", "")
    with logs.bound(request_id=request_id):  # each command of a batch has its own
        return _run_command(sessions, on_commit, request, request_id, command, answer, body)


def _run_command(sessions: sessionmaker, on_commit: Callable[[], None], request: Message,
                 request_id: str, command: str, answer: type[M], body: Callable[[Session], M]) -> M:
    digest = request_digest(request)
    try:
        with sessions.begin() as s:
            earlier = previous_response(s, request_id, command, digest)
            if earlier is not None:
                log.info("command %s answered as before (a retry of its request_id)", command)
                return answer.FromString(earlier)
            recorded = recorded_ids(s)
            mark = len(recorded)
            result = body(s)
            events, recorded[mark:] = recorded[mark:], []
            remember_response(s, request_id, command, digest,
                              result.SerializeToString(deterministic=True))
    except Exception:
        if not request_id:
            raise
        with sessions() as s:
            earlier = previous_response(s, request_id, command, digest)
        if earlier is None:
            raise
        log.info("command %s answered as its concurrent copy was", command)
        return answer.FromString(earlier)
    # The line that ties the command (request_id, in context) to the events it recorded.
    log.info("command %s applied", command,
             extra={"ce_id": events[0]} if len(events) == 1 else {"ce_ids": events})
    on_commit()  # wakes the relay
    return result


def update_versioned(session: Session, model: type[Any], key_column: str, key: str,
                     expected: int, values: dict[str, object], conflict: str = "") -> None:
    """Optimistic concurrency: write only if nobody changed the row since we read it."""
    table = model.__table__  # a Core update: the ORM's bulk-update path costs more than the write
    result = session.execute(update(table).where(table.c[key_column] == key,
                                                 table.c.version == expected).values(**values))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("version", conflict or f"{key} was changed by another command "
                                              f"(expected version {expected}); retry")


@dataclass(frozen=True)
class ChangeLog:
    """Where one kind of aggregate records its changes: topic, CloudEvents source and type
    prefix, and history table."""

    topic: str
    source: str
    aggregate: str  # the domain part of ce_type (yinling.envelope.event_type)
    history: type[HistoryColumns]

    def record(self, s: Session, *, key: str, snapshot: Message, version: int, change: str,
               actor: str, reason: str, corrected: Sequence[str], payload: Message,
               at: datetime) -> None:
        """Stage the event in the outbox and the history row that keeps its event_id."""
        event = record_event(s, topic=self.topic, key=key, ce_type=event_type(self.aggregate, change),
                             source=self.source, subject=key, payload=payload, sequence=version,
                             at=at)
        s.add(self.history.of(key, snapshot, version, change, at, actor, reason, corrected,
                              event.event_id))


def fetch_page(session: Session, model: type[Any], where: Sequence[Any], order_by: Sequence[Any],
               offset: int, limit: int, decode: Callable[[bytes], M]) -> tuple[list[M], int]:
    """One page of current records (their snapshots, decoded) and the total that match."""
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = session.scalars(select(model.snapshot).where(*where).order_by(*order_by)
                           .offset(offset).limit(limit))
    return [decode(b) for b in rows], total

"""Command handlers: each command is one transaction holding the record, its history row,
the outbox event and the remembered answer, so all of them are written or none."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from yinling.commands import previous_response, remember_response
from yinling.envelope import event_type, format_time
from yinling.errors import Conflict
from yinling.outbox import record_event
from yinling.topics import PLATFORM_EVENTS
from yinling.v1.platforms_pb2 import Platform, PlatformChanged

from services.platforms import store

SOURCE = "/yinling/platforms"
# A change takes the current snapshot and the command's formatted time; returns the new one.
Change = Callable[[Platform, str], tuple[Platform, str]]


def new_platform_id() -> str:
    return "plt-" + uuid.uuid4().hex[:12]


class PlatformCommands:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_commit = on_commit

    def register(self, request_id: str, actor: str,
                 build: Callable[[str, str], tuple[Platform, str]]) -> Platform:
        """`build(platform_id, now)` validates the registration and returns the first snapshot."""
        return self._run(request_id, "register", actor, "", None, lambda _p, now: build(new_platform_id(), now))

    def change(self, request_id: str, command: str, actor: str, platform_id: str, reason: str,
               apply: Change, corrected: tuple[str, ...] = ()) -> Platform:
        return self._run(request_id, command, actor, reason, platform_id, apply, corrected)

    def _run(self, request_id: str, command: str, actor: str, reason: str, platform_id: str | None,
             apply: Change, corrected: tuple[str, ...] = ()) -> Platform:
        try:
            return self._once(request_id, command, actor, reason, platform_id, apply, corrected)
        except (Conflict, IntegrityError):
            # The same request racing itself (a client retrying too soon): the loser answers
            # with the winner's result instead of an error.
            if request_id:
                with self.sessions() as s:
                    if (answer := previous_response(s, request_id)) is not None:
                        return Platform.FromString(answer)
            raise

    def _once(self, request_id: str, command: str, actor: str, reason: str, platform_id: str | None,
              apply: Change, corrected: tuple[str, ...]) -> Platform:
        with self.sessions.begin() as s:
            answer = previous_response(s, request_id)
            if answer is not None:  # a retry: same answer, no second change
                return Platform.FromString(answer)
            now = datetime.now(timezone.utc)
            current = store.load(s, platform_id) if platform_id else Platform()
            new, what = apply(current, format_time(now))
            (store.save if platform_id else store.insert)(s, new)
            self._record(s, new, what, actor, reason.strip(), corrected, now)
            remember_response(s, request_id, command, new.SerializeToString(deterministic=True))
        self.on_commit()
        return new

    @staticmethod
    def _record(s: Session, p: Platform, what: str, actor: str, reason: str,
                corrected: tuple[str, ...], now: datetime) -> None:
        payload = PlatformChanged(platform=p, change=what, reason=reason, actor=actor,
                                  corrected_fields=list(corrected))
        event = record_event(s, topic=PLATFORM_EVENTS.name, key=p.id,
                             ce_type=event_type("platform", what), source=SOURCE, subject=p.id,
                             payload=payload, sequence=p.version, at=now)
        s.add(store.PlatformHistoryRow(
            platform_id=p.id, version=p.version, change=what, recorded_at=now, actor=actor,
            reason=reason, corrected_fields=json.dumps(list(corrected)), event_id=event.event_id,
            snapshot=p.SerializeToString(deterministic=True)))

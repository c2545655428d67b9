"""Command handlers: each command is one transaction holding the record, its history row,
the outbox event and the remembered answer, so all of them are written or none."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy.orm import Session, sessionmaker

from services.platforms import store
from yinling.aggregate_store import ChangeLog, run_command
from yinling.commit_order import serialise
from yinling.envelope import format_time
from yinling.topics import PLATFORM_EVENTS
from yinling.v1.platforms_pb2 import Platform, PlatformChanged

SOURCE = "/yinling/platforms"
CHANGES = ChangeLog(PLATFORM_EVENTS.name, SOURCE, "platform", store.PlatformHistoryRow)
# A change takes the current snapshot and the command's formatted time; returns the new one.
Change = Callable[[Platform, str], tuple[Platform, str]]


def new_platform_id() -> str:
    return "plt-" + uuid.uuid4().hex[:12]


class PlatformCommands:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_commit = on_commit

    def register(self, request: Message, actor: str,
                 build: Callable[[str, str], tuple[Platform, str]]) -> Platform:
        """`build(platform_id, now)` validates the registration and returns the first snapshot."""
        return self._run(request, "register", actor, "", None, lambda _p, now: build(new_platform_id(), now))

    def change(self, request: Message, command: str, actor: str, platform_id: str, reason: str,
               apply: Change, corrected: tuple[str, ...] = ()) -> Platform:
        return self._run(request, command, actor, reason, platform_id, apply, corrected)

    def _run(self, request: Message, command: str, actor: str, reason: str, platform_id: str | None,
             apply: Change, corrected: tuple[str, ...] = ()) -> Platform:
        def body(s: Session) -> Platform:
            # History ids in commit order (the change feed's cursor); taken before any row is
            # written, so two transactions never wait on each other's rows while holding it.
            serialise(s, "platform_history")
            now = datetime.now(UTC)
            current = store.load(s, platform_id) if platform_id else Platform()
            new, what = apply(current, format_time(now))
            (store.save if platform_id else store.insert)(s, new)
            payload = PlatformChanged(platform=new, change=what, reason=reason.strip(), actor=actor,
                                      corrected_fields=list(corrected))
            CHANGES.record(s, key=new.id, snapshot=new, version=new.version, change=what,
                           actor=actor, reason=reason.strip(), corrected=corrected,
                           payload=payload, at=now)
            return new
        return run_command(self.sessions, self.on_commit, request=request, command=command,
                           answer=Platform, body=body)

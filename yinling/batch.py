"""Many commands in one transaction, each in its own savepoint, for bulk loads.

A service's command handlers take a sessionmaker and run each command with
`yinling.aggregate_store.run_command`, which opens `sessions.begin()`. Inside a batch they
are handed `BatchSessions` instead: there `begin()` is a savepoint of the batch's one
transaction. A command that is refused (a domain error) rolls back to its savepoint and
leaves nothing; the others stay; the batch commits once and wakes the relay once, so the
outbox rows of the whole batch go out in one pass. Any other error (a busy database) rolls
the whole batch back and reaches the caller, who may send it again: every command carries
its own request_id, so nothing is applied twice.

Savepoints cost about as much as the writes, and most batches have nothing refused: a batch
is first run without them, and only one in which some command failed is rolled back and
run again with them. In that first run the rows a command only adds (history, outbox, its
request_id's answer) wait for the next flush (the batch's last, or a command's own) and go in bulk, and
the batch's request_ids are looked up in the command log with one query, not one each.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session, sessionmaker

from yinling.commands import FRESH, absent_request_ids
from yinling.errors import Conflict, NotFound, ValidationError

MAX_COMMANDS = 500
# The status each refusal would have got as a single call (yinling.grpc_server's mapping).
REFUSALS: dict[type[Exception], str] = {
    ValidationError: "INVALID_ARGUMENT", NotFound: "NOT_FOUND", Conflict: "FAILED_PRECONDITION"}
T = TypeVar("T")
# SQLite has one writer at a time. Batches of this process queue here, where the next one
# starts the moment the last commits, rather than in SQLite's busy handler, which polls
# with sleeps of up to 100 ms. (A service is one process; PostgreSQL needs no such queue.)
_SQLITE_BATCHES = threading.Lock()


class BatchSessions:
    """Stands in for a sessionmaker inside one batch (see the module's docstring). With
    `savepoints` off, a command's transaction is just the batch's: the first refusal then
    spoils the whole batch, which is run again with savepoints."""

    def __init__(self, session: Session, savepoints: bool = True) -> None:
        self.session = session
        self.savepoints = savepoints

    @contextmanager
    def begin(self) -> Iterator[Session]:
        if self.savepoints:
            with self.session.begin_nested():
                yield self.session
            # Commands update rows with statements that bypass the identity map: forget what
            # was loaded, so the next command of the batch reads the rows as they now are.
            self.session.expunge_all()
            return
        # Without savepoints the rows a command only adds (its history, outbox and request_id
        # rows) stay pending and go out with the next flush, a command's own or the batch's
        # last, as one multi-row INSERT per table rather than one round of INSERTs per
        # command. Nothing a command reads is among them; a later command that would have
        # needed one (the same request_id twice in a batch) fails that last flush, and the
        # batch is run again with savepoints, one flush per command.
        with self.session.no_autoflush:
            yield self.session
        for loaded in list(self.session.identity_map.values()):  # as expunge_all above,
            self.session.expunge(loaded)                         # keeping the pending rows

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        yield self.session


class Refused(Exception):
    """One command's refusal, as the batch answers it."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class _Spoiled(Exception):
    """A command was refused in a batch run without savepoints."""


def request_id_of(command: Message) -> str:
    """The request_id of a batch's command (a oneof of the single calls' requests)."""
    which = command.WhichOneof("command")
    return getattr(getattr(command, which), "request_id", "") if which else ""


def apply_batch(sessions: sessionmaker, on_commit: Callable[[], None],
                commands: Sequence[Callable[[BatchSessions], T]],
                request_ids: Iterable[str] = ()) -> list[T | Refused]:
    """Run `commands` in order in one transaction; each gets the batch's sessions and
    answers with its result, or is refused. Commits once, then calls `on_commit` once.
    `request_ids`, the commands' own: looked up in the command log at once, not one by one."""
    if len(commands) > MAX_COMMANDS:
        raise ValidationError("commands", f"at most {MAX_COMMANDS} in one batch, not {len(commands)}")
    ids = list(request_ids)
    try:
        outcomes = _run(sessions, commands, savepoints=False, request_ids=ids)
    except _Spoiled:
        outcomes = _run(sessions, commands, savepoints=True)
    on_commit()
    return outcomes


def _run(sessions: sessionmaker, commands: Sequence[Callable[[BatchSessions], T]],
         savepoints: bool, request_ids: Sequence[str] = ()) -> list[T | Refused]:
    outcomes: list[T | Refused] = []
    bind = sessions.kw.get("bind")
    sqlite = bind is not None and bind.dialect.name == "sqlite"
    with _SQLITE_BATCHES if sqlite else nullcontext(), sessions.begin() as session:
        if sqlite:
            # pysqlite starts no transaction of its own before a savepoint; take the write
            # lock now (waiting for other writers), so the batch is one transaction.
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        if request_ids:
            session.info[FRESH] = absent_request_ids(session, request_ids)
        batch = BatchSessions(session, savepoints)
        for command in commands:
            try:
                outcomes.append(command(batch))
            except Exception as exc:
                if not savepoints:  # roll the whole batch back; with savepoints, each
                    raise _Spoiled from exc  # command's error is met as it always was
                if not isinstance(exc, tuple(REFUSALS)):
                    raise
                code = next(c for kind, c in REFUSALS.items() if isinstance(exc, kind))
                outcomes.append(Refused(code, str(exc), getattr(exc, "field", "")))
        if not savepoints:
            try:
                session.flush()  # the rows the commands left pending (BatchSessions.begin)
            except Exception as exc:
                raise _Spoiled from exc
    return outcomes

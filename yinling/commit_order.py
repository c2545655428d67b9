"""Row ids that follow commit order, for change logs read by cursor.

An auto-increment id is handed out when a row is inserted, not when its transaction commits:
on PostgreSQL a reader can see id 10 committed while id 9 is still open, move its cursor past
9 and never see it. A writer that takes `serialise(session, name)` before inserting into such
a log holds a transaction-level advisory lock until its commit, so ids of that log are handed
out and committed one transaction at a time, in order. SQLite already lets one transaction
write at a time: there it does nothing.
"""
from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_key(name: str) -> int:
    """A stable 32-bit key per log name (advisory locks are keyed by integers)."""
    return zlib.crc32(f"yinling.commit_order.{name}".encode())


def serialise(session: Session, name: str) -> None:
    """Hold the log's lock until this transaction ends (re-entrant within it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

"""Named row locks in the indicators database, held until the transaction ends.

PostgreSQL: SELECT ... FOR UPDATE (exclusive) or FOR SHARE (shared); SQLite serialises
writing transactions by itself, so there the statements only make sure the row exists.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.indicators.deltas import insert_for
from services.indicators.projection import LockRow


def take(session: Session, name: str, shared: bool = False, wait: bool = True) -> bool:
    """Lock `name`; with wait=False, give up at once (False) when another transaction holds it."""
    session.execute(insert_for(session)(LockRow).values(name=name).on_conflict_do_nothing())
    query = select(LockRow.name).where(LockRow.name == name)
    query = query.with_for_update(read=shared, skip_locked=not wait)
    return session.scalar(query) is not None

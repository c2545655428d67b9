"""Who may call the finance registry: commands need `finance:write` (a district token only for
records in its districts); queries are public, per-enterprise amounts and reasons shown only
with `finance:amounts:read`."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.finance.store import FinanceRow
from yinling.access import PUBLIC, Policy, write

WRITE = write("finance:write")
AMOUNTS = "finance:amounts:read"


def _district_of(session: Session, record_id: str) -> str | None:
    row = session.get(FinanceRow, record_id)
    return row.district if row else None


POLICY = Policy(
    rules={"Record": WRITE, "Withdraw": WRITE, "Correct": WRITE, "ApplyCommands": WRITE,
           "Get": PUBLIC, "List": PUBLIC, "History": PUBLIC},
    lookups={"record_id": _district_of},
)

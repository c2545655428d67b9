"""Who may call the talent registry: nothing is anonymous (one person's record can identify
them). Commands need `talent:write` (a district token only for records in its districts),
queries `talent:read`; personal fields and reasons are shown only with `talent:personal:read`."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.talent.store import TalentRow
from yinling.access import Policy, read, write

WRITE = write("talent:write")
READ = read("talent:read")
PERSONAL = "talent:personal:read"


def _district_of(session: Session, record_id: str) -> str | None:
    row = session.get(TalentRow, record_id)
    return row.district if row else None


POLICY = Policy(
    rules={"Register": WRITE, "End": WRITE, "Correct": WRITE, "ApplyCommands": WRITE,
           "Get": READ, "List": READ, "History": READ},
    lookups={"record_id": _district_of},
)

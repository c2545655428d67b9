"""Who may call the platform registry: commands need `platforms:write` (a district token only
for platforms in its districts); queries are public (platforms are organisations)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.platforms.store import PlatformRecord
from yinling.access import PUBLIC, Policy, write

WRITE = write("platforms:write")


def _district_of(session: Session, platform_id: str) -> str | None:
    row = session.get(PlatformRecord, platform_id)
    return row.district if row else None


POLICY = Policy(
    rules={"Register": WRITE, "Accredit": WRITE, "Evaluate": WRITE, "ChangeLevel": WRITE,
           "Revoke": WRITE, "Correct": WRITE, "ApplyCommands": WRITE,
           "Get": PUBLIC, "List": PUBLIC, "History": PUBLIC, "ListChanges": PUBLIC},
    lookups={"platform_id": _district_of},
)

"""Who may call the enterprise registry: commands and regional statistics need
`enterprises:write` (a district token only for enterprises and territories in its districts;
a move touches both districts); queries are public, an enterprise's annual statistics shown
only with `enterprises:statistics:read`."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.enterprises.store import EnterpriseRecord
from yinling.access import PUBLIC, Policy, write

WRITE = write("enterprises:write")
STATISTICS = "enterprises:statistics:read"


def _district_of(session: Session, credit_code: str) -> str | None:
    row = session.get(EnterpriseRecord, credit_code)
    return row.district if row else None


POLICY = Policy(
    rules={"Register": WRITE, "Move": WRITE, "GrantQualification": WRITE,
           "RenewQualification": WRITE, "RevokeQualification": WRITE,
           "ReportAnnualStatistics": WRITE, "Correct": WRITE, "ReportRegionalStatistic": WRITE,
           "ApplyCommands": WRITE,
           "Get": PUBLIC, "List": PUBLIC, "History": PUBLIC, "ListRegionalStatistics": PUBLIC},
    lookups={"credit_code": _district_of},
)

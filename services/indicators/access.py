"""Who may call the IndicatorService: anyone (indicator values are public). A presented token
must still be valid; a refusal is audited in the indicators database, whose outbox the
indicators worker publishes."""
from __future__ import annotations

from yinling.access import PUBLIC, Policy

POLICY = Policy(rules={"Get": PUBLIC, "List": PUBLIC, "History": PUBLIC, "Watch": PUBLIC,
                       "ListChanges": PUBLIC, "LatestChange": PUBLIC})

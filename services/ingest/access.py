"""Who may call the ingest gateway: uploads need `ingest:write` from a city-wide token (a
reported table spans the city's districts); batch status is public."""
from __future__ import annotations

from yinling.access import PUBLIC, Policy, write

POLICY = Policy(rules={"IngestTable": write("ingest:write", city_wide=True),
                       "GetBatch": PUBLIC, "ListBatches": PUBLIC})

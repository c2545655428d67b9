"""Who may call the ingest gateway: uploads need `ingest:write` from a city-wide token (a
reported table spans the city's districts); submissions and their reports quote the files'
cells, which may be confidential, so reading them needs `ingest:read`."""
from __future__ import annotations

from yinling.access import Policy, read, write

POLICY = Policy(rules={"Upload": write("ingest:write", city_wide=True),
                       "GetSubmission": read("ingest:read"), "ListSubmissions": read("ingest:read"),
                       "GetSubmissionReport": read("ingest:read"),
                       # release v0.1.0's API: answered UNIMPLEMENTED, naming the replacement
                       "IngestTable": write("ingest:write", city_wide=True),
                       "GetBatch": read("ingest:read"), "ListBatches": read("ingest:read")})

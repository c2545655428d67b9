"""Schemathesis hooks for the feed's run (tests/integration/test_opendata_openapi.py): two
rules across SDMX parameters that OpenAPI cannot state are kept in the generated requests.
Both are refused with the field named (400, 501), as the SDMX tests check."""
from __future__ import annotations

from typing import Any

import schemathesis

CSV_FORMATS = {"csv", "sdmx-csv", "csvdata"}


@schemathesis.hook
def filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    if not query or not ctx.operation.path.startswith("/sdmx/v2/data/"):
        return True
    since, as_of = query.get("updatedAfter"), query.get("asOf")
    if since and as_of and str(since) > str(as_of):
        return False   # updatedAfter after asOf: nothing published by then changed after
    history = query.get("includeHistory") in (True, "true")
    return not (history and query.get("format") in CSV_FORMATS)   # SDMX-CSV 2.0 has no history

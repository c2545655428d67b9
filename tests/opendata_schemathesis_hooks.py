"""Schemathesis hooks for the feed's run (tests/integration/test_opendata_openapi.py): rules
across parameters that OpenAPI cannot state are kept in the generated requests. Each is
refused with the field named (400, 501), as the SDMX and series tests check."""
from __future__ import annotations

from typing import Any

import schemathesis

CSV_FORMATS = {"csv", "sdmx-csv", "csvdata"}


def _series(query: dict[str, Any]) -> bool:
    date = str(query.get("date") or "")
    if date and (query.get("mrv") or query.get("mrnev")):
        return False   # either a range of years or the most recent values
    start, _, end = date.partition(":")
    return not (end and start > end)   # a range that ends before it starts


@schemathesis.hook
def filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    if query and ctx.operation.path == "/api/v1/series":
        return _series(query)
    if not query or not ctx.operation.path.startswith("/sdmx/v2/data/"):
        return True
    since, as_of = query.get("updatedAfter"), query.get("asOf")
    if since and as_of and str(since) > str(as_of):
        return False   # updatedAfter after asOf: nothing published by then changed after
    history = query.get("includeHistory") in (True, "true")
    return not (history and query.get("format") in CSV_FORMATS)   # SDMX-CSV 2.0 has no history

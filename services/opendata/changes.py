"""Routes over the indicators' change log: incremental pulls by cursor, and history as CSV.

A consumer keeps the last cursor it received and asks for the changes after it; the `next`
link (also a `Link: rel="next"` header) carries that cursor, and the same query again when a
page is empty, so polling it never misses or repeats a change.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request, Response

from services.opendata import params
from services.opendata.backends import Backends
from services.opendata.formatting import (
    CHANGE_COLUMNS,
    HISTORY_COLUMNS,
    change_row,
    history_point,
)
from services.opendata.responses import Bom, csv_file, dataset, spreadsheet
from yinling.territory import CITY

CHANGES_PATH = "/api/v1/indicator-changes"
CHANGES_MAX = 5000   # the IndicatorService's largest page
COMPLETE_CSV = f"{CHANGES_PATH}/complete.csv"   # the whole log: the data package's resource
Many = Annotated[list[str], Query()]


def next_link(base: str, path: str, after: int, limit: int, indicators: list[str],
              territories: list[str]) -> str:
    query = [("after", str(after)), *([("limit", str(limit))] if limit else []),
             *(("indicator", i) for i in indicators), *(("territory", t) for t in territories)]
    return f"{base}{path}?{urlencode(query)}"


def add_change_routes(app: FastAPI, backends: Callable[[Request], Backends],
                      base: Callable[[Request], str], versioned: Sequence[Any] = ()) -> None:
    """`versioned`: the dependencies that give these routes their ETag and Last-Modified."""
    def changes_page(request: Request, path: str, after: str | None, limit: str | None,
                     indicator: list[str], territory: list[str]) -> tuple[list[dict], int, str]:
        cursor, size = params.cursor(after), params.limit(limit, CHANGES_MAX)
        ids, places = params.codes(indicator, "indicator"), params.territories(territory)
        page = backends(request).indicator_changes(cursor, size, ids, places)
        link = next_link(base(request), path, page.next_cursor, size, ids, places)
        return [change_row(c) for c in page.changes], page.next_cursor, link

    def with_next(response: Response, cursor: int, link: str) -> Response:
        response.headers["Link"] = f'<{link}>; rel="next"'
        response.headers["X-Next-Cursor"] = str(cursor)
        return response

    @app.get(CHANGES_PATH, dependencies=list(versioned))
    def indicator_changes(request: Request, after: str | None = None, limit: str | None = None,
                          indicator: Many = [], territory: Many = []) -> Response:  # noqa: B006
        rows, cursor, link = changes_page(request, CHANGES_PATH, after, limit, indicator, territory)
        payload = {"columns": list(CHANGE_COLUMNS), "changes": rows, "next_cursor": cursor,
                   "next": link}
        return with_next(dataset(request, payload, rows, CHANGE_COLUMNS, "indicator-changes"),
                         cursor, link)

    @app.get(f"{CHANGES_PATH}.csv", dependencies=list(versioned))
    def indicator_changes_csv(request: Request, after: str | None = None, limit: str | None = None,
                              indicator: Many = [], territory: Many = [],  # noqa: B006
                              bom: Bom = False) -> Response:
        path = f"{CHANGES_PATH}.csv"
        rows, cursor, link = changes_page(request, path, after, limit, indicator, territory)
        return with_next(csv_file(request, rows, CHANGE_COLUMNS, "indicator-changes", bom),
                         cursor, link)

    # The whole change log in one file (the data package's resource), read in the indicator
    # service's largest pages: the paged routes above are for pulling it incrementally.
    def every_change(request: Request) -> Iterator[dict[str, Any]]:
        return (change_row(c) for c in backends(request).every_change())

    @app.get(COMPLETE_CSV, dependencies=list(versioned))
    def indicator_changes_complete(request: Request, bom: Bom = False) -> Response:
        """Every change of the log, from the first, in cursor order."""
        return csv_file(request, every_change(request), CHANGE_COLUMNS, "indicator-changes", bom)

    @app.get(f"{CHANGES_PATH}.xlsx", dependencies=list(versioned))
    def indicator_changes_xlsx(request: Request) -> Response:
        """Every change of the log, from the first, in cursor order."""
        return spreadsheet(request, every_change(request), CHANGE_COLUMNS, "indicator-changes")

    @app.get("/api/v1/indicators/{indicator_id}/history.csv", dependencies=list(versioned))
    def indicator_history_csv(request: Request, indicator_id: str, territory: str | None = None,
                              series: str | None = None, bom: Bom = False) -> Response:
        points = backends(request).indicator_history(
            params.code(indicator_id, "indicator_id"), params.territory(territory) or CITY,
            params.series(series))
        return csv_file(request, (history_point(p) for p in points), HISTORY_COLUMNS,
                        f"{indicator_id}-history", bom)

"""Responses with conditional GET: 304 when the client has the representation. The
validators are the data's version when the route has one (conditional.py), else an ETag
from the body (the body then holds nothing that changes by itself)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query, Request, Response

from services.opendata.conditional import CACHE_CONTROL, is_fresh, version_for
from services.opendata.formatting import etag_matches, etag_of
from services.opendata.negotiation import wants_xlsx
from yinling.csv_export import to_csv
from yinling.xlsx_export import MEDIA_TYPE as XLSX
from yinling.xlsx_export import to_xlsx

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"

# Every CSV route takes ?bom=true: the file then starts with a UTF-8 byte order mark for Excel.
Bom = Annotated[bool, Query(description="Start the CSV with a UTF-8 byte order mark (BOM), "
                                        "so that Excel reads its Chinese text right")]


def json_bytes(payload: Any) -> bytes:
    # Stable key order so the same data always hashes to the same ETag.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def conditional(request: Request, body: bytes, media_type: str,
                filename: str | None = None, validator: bytes | None = None) -> Response:
    """`validator`: what the body's ETag is computed from, when the body itself holds
    something that changes by itself (an XLSX file's time stamps)."""
    version = version_for(request)
    if version is not None:
        headers, fresh = version.headers(), is_fresh(request, version)
    else:
        etag = etag_of(body if validator is None else validator)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        fresh = etag_matches(request.headers.get("if-none-match"), etag)
    if fresh:
        return Response(status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


def json_response(request: Request, payload: Any) -> Response:
    return conditional(request, json_bytes(payload), JSON)


def csv_file(request: Request, rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
             name: str, bom: bool = False) -> Response:
    return conditional(request, to_csv(rows, columns, bom), CSV, f"{name}.csv")


def spreadsheet(request: Request, rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
                name: str) -> Response:
    """The rows as an XLSX file of one sheet; its ETag is that of the same rows as CSV."""
    rows = list(rows)
    return conditional(request, to_xlsx(rows, columns, name), XLSX, f"{name}.xlsx",
                       validator=to_csv(rows, columns))


def dataset(request: Request, payload: Any, rows: list[dict[str, Any]], columns: Sequence[str],
            name: str) -> Response:
    """A dataset's JSON answer, or its rows as XLSX when Accept asks for that (Vary: Accept)."""
    if wants_xlsx(request.headers.get("accept")):
        response = spreadsheet(request, rows, columns, name)
    else:
        response = json_response(request, payload)
    response.headers["Vary"] = "Accept"
    return response

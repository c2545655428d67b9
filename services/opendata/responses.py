"""Responses with conditional GET: 304 when the client has the representation. The
validators are the data's version when the route has one (conditional.py), else an ETag
from the body (the body then holds nothing that changes by itself)."""
from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response

from services.opendata.conditional import CACHE_CONTROL, is_fresh, version_for
from services.opendata.formatting import etag_matches, etag_of

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"


def json_bytes(payload: Any) -> bytes:
    # Stable key order so the same data always hashes to the same ETag.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def conditional(request: Request, body: bytes, media_type: str,
                filename: str | None = None) -> Response:
    version = version_for(request)
    if version is not None:
        headers, fresh = version.headers(), is_fresh(request, version)
    else:
        etag = etag_of(body)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        fresh = etag_matches(request.headers.get("if-none-match"), etag)
    if fresh:
        return Response(status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


def json_response(request: Request, payload: Any) -> Response:
    return conditional(request, json_bytes(payload), JSON)

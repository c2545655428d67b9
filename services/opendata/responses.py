"""Responses with conditional GET: an ETag from the body, 304 when the client has it."""
from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response

from services.opendata.formatting import etag_matches, etag_of

CACHE_CONTROL = "public, max-age=30"
JSON = "application/json"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"


def json_bytes(payload: Any) -> bytes:
    # Stable key order so the same data always hashes to the same ETag.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def conditional(request: Request, body: bytes, media_type: str,
                filename: str | None = None) -> Response:
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


def json_response(request: Request, payload: Any) -> Response:
    return conditional(request, json_bytes(payload), JSON)

"""The feed's OpenAPI document, completed where FastAPI cannot see: the routes read their
query parameters as text and check them themselves (params.py, so that a refusal names the
field as every refusal does), and answer with `Response` in many media types. Here, once for
every route, each parameter gets its type (integers with their bounds, dates, enums of the
territories, levels and formats) and each answer its media types, schema and status codes.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST

from services.opendata import sdmx_params as sp
from services.opendata.changefeeds import PLATFORM_CHANGE_COLUMNS
from services.opendata.changes import CHANGES_MAX
from services.opendata.formatting import (
    CHANGE_COLUMNS,
    HISTORY_COLUMNS,
    INDICATOR_COLUMNS,
    PLATFORM_COLUMNS,
)
from services.opendata.params import LEVELS, MAX_CURSOR
from services.opendata.responses import JSON
from services.opendata.sdmx_data import CSV_MEDIA as SDMX_CSV
from services.opendata.sdmx_data import JSON_MEDIA as SDMX_JSON
from services.opendata.sdmx_ml import STRUCTURE_MEDIA as SDMX_ML
from services.opendata.sdmx_structure import STRUCTURE_MEDIA as SDMX_STRUCTURE_JSON
from yinling.plan import Plan
from yinling.territory import CITY, DISTRICTS
from yinling.xlsx_export import MEDIA_TYPE as XLSX

CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"}
DATE = {"type": "string", "format": "date"}
TERRITORY = {"type": "string", "enum": [CITY, *sorted(DISTRICTS)]}
CURSOR = {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR}

# name -> schema of a query parameter, wherever it appears.
PARAMETERS: dict[str, dict[str, Any]] = {
    "territory": TERRITORY,
    "district": {"type": "string", "enum": sorted(DISTRICTS)},
    "as_of": DATE,
    "series": {"anyOf": [{"type": "string", "enum": ["now"]}, DATE]},
    "level": {"type": "string", "enum": list(LEVELS)},
    "kind": CODE,
    "indicator_id": CODE,
    "after": CURSOR,
    "bom": {"type": "boolean", "default": False},
    # SDMX REST
    "references": {"type": "string", "enum": sorted(sp.REFERENCES)},
    "detail": {"type": "string", "enum": ["full", "allstubs"]},
    "dimensionAtObservation": {"type": "string", "enum": ["AllDimensions"]},
    "attributes": {"type": "string", "enum": ["dsd", "all"]},
    "measures": {"type": "string", "enum": ["all"]},
    "includeHistory": {"type": "boolean"},
    "firstNObservations": {"type": "integer", "minimum": 1},
    "lastNObservations": {"type": "integer", "minimum": 1},
    "updatedAfter": {"type": "string", "format": "date"},
    "asOf": {"type": "string", "format": "date"},
    # World Bank API
    "mrv": {"type": "integer", "minimum": 1},
    "mrnev": {"type": "integer", "minimum": 1},
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 1000},
    "date": {"type": "string", "pattern": "^[0-9]{4}(:[0-9]{4})?$",
             "description": "a year or a range of years, 2022 or 2022:2024"},
}
# Query parameters of SDMX REST that this service refuses by name (501) rather than ignore:
# known to the route, so not "unknown", but not offered in the document.
NOT_OFFERED = {"offset", "limit", "sort", "reportingYearStartDay"}
# The datasets' JSON routes, which answer XLSX too when Accept weighs it above JSON.
NEGOTIATED = {"/api/v1/indicators", "/api/v1/platforms", "/api/v1/indicator-changes",
              "/api/v1/platform-changes"}
SDMX_STRUCTURE_FORMATS = sorted(sp.STRUCTURE_FORMATS)
SDMX_DATA_FORMATS = sorted(sp.FORMATS)

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["field", "reason"],
    "properties": {"field": {"type": ["string", "null"], "description": "what was refused"},
                   "reason": {"type": "string", "description": "why"}}}}}
_ERRORS = {
    400: "a parameter refused: error.field names it, error.reason says why",
    404: "no such record",
    406: "none of the media types in Accept is served",
    429: "too many requests from this client; see Retry-After",
    501: "an SDMX REST feature this service does not implement, named in error.field",
    503: "a backend service is unavailable; retry after Retry-After",
}
TEXT = {"type": "string"}
OBJECT = {"type": "object"}
# JSON types of the row fields that are not text.
_TYPES = {"cursor": "integer", "suppressed": "boolean", "progress": "number"}


def _row(columns: Sequence[str]) -> dict[str, Any]:
    """A record as the JSON routes give it: the CSV's columns, text unless _TYPES says."""
    return {"type": "object", "required": list(columns),
            "properties": {c: {"type": _TYPES.get(c, "string")} for c in columns}}


def _list(key: str, fields: Sequence[str], **more: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": [key, *more],
            "properties": {key: {"type": "array", "items": _row(fields)}, **more}}


_CHANGES: dict[str, dict[str, Any]] = {"columns": {"type": "array", "items": TEXT}, "next_cursor": {"type": "integer"},
            "next": TEXT}
SCHEMAS: dict[str, dict[str, Any]] = {
    "/api/v1/indicators": _list("indicators", INDICATOR_COLUMNS),
    "/api/v1/indicators/{indicator_id}": _row(INDICATOR_COLUMNS),
    "/api/v1/indicators/{indicator_id}/history": _list(
        "points", HISTORY_COLUMNS, indicator_id=TEXT, territory=TEXT, series=TEXT,
        columns={"type": "array", "items": TEXT}),
    "/api/v1/platforms": _list("platforms", PLATFORM_COLUMNS,
                               next_cursor={"type": ["string", "null"]}, total={"type": "integer"}),
    "/api/v1/indicator-changes": _list("changes", CHANGE_COLUMNS, **_CHANGES),
    "/api/v1/platform-changes": _list("changes", PLATFORM_CHANGE_COLUMNS, **_CHANGES),
    "/healthz": {"type": "object", "required": ["status"], "properties": {"status": TEXT}},
}


def _content(*media: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {m: {"schema": schema or (OBJECT if m.endswith("json") else TEXT)} for m in media}


def _answer(path: str) -> tuple[dict[str, Any], list[int]]:
    """The content of a 200 answer of `path` and its further status codes."""
    sdmx = path.startswith("/sdmx/")
    if path == "/":
        return _content("text/html", JSON), []
    if path == "/metrics":
        return _content(CONTENT_TYPE_LATEST.split(";")[0]), []
    if path.endswith(".csv"):
        return _content("text/csv"), [304]
    if path.endswith(".xlsx"):
        return {XLSX: {"schema": {"type": "string", "format": "binary"}}}, [304]
    if path.endswith(".atom"):
        return _content("application/atom+xml"), [304]
    if path.endswith("/stream"):
        return _content("text/event-stream"), []
    if path == "/catalog":
        return _content("application/ld+json", "text/turtle", JSON), [304, 406]
    if path in ("/catalog.jsonld", "/catalog.ttl"):
        return _content("application/ld+json" if path.endswith("ld") else "text/turtle"), [304]
    if sdmx and "/structure/" in path:
        return _content(SDMX_STRUCTURE_JSON.split(";")[0], SDMX_ML.split(";")[0]), [304, 406, 501]
    if sdmx:
        return _content(SDMX_CSV.split(";")[0], SDMX_JSON.split(";")[0]), [204, 304, 406, 501]
    if path in NEGOTIATED:
        return {**_content(JSON, schema=SCHEMAS[path]),
                XLSX: {"schema": {"type": "string", "format": "binary"}}}, [304]
    if path in SCHEMAS:
        return _content(JSON, schema=SCHEMAS[path]), [] if path == "/healthz" else [304]
    return _content(JSON), [304]


def _one_or_more(values: Sequence[str]) -> str:
    """A pattern of `a;b` lists of the values (the World Bank API's form), `all`, or empty."""
    one = "|".join(values)
    return f"^(all|({one})(;({one}))*)?$"


def _typed(path: str, parameter: dict[str, Any], indicators: list[str]) -> None:
    name = parameter["name"]
    schema = PARAMETERS.get(name)
    if name == "limit":
        schema = {"type": "integer", "minimum": 1,
                  "maximum": 500 if path == "/api/v1/platforms" else CHANGES_MAX}
    if name == "format":
        schema = {"type": "string", "enum": (
            ["json"] if path == "/api/v1/series" else
            SDMX_STRUCTURE_FORMATS if "/structure/" in path else SDMX_DATA_FORMATS)}
    if path == "/api/v1/series" and name in ("indicator", "territory"):
        schema = {"type": "string", "pattern": _one_or_more(
            indicators if name == "indicator" else TERRITORY["enum"])}
    elif name in ("indicator", "territory") and parameter["schema"].get("type") == "array":
        schema = {"type": "array",
                  "items": {"type": "string", "enum": indicators} if name == "indicator" else TERRITORY}
    if schema is not None:
        parameter["schema"] = schema


def _complete(path: str, method: str, operation: dict[str, Any], indicators: list[str]) -> None:
    sdmx = path.startswith("/sdmx/")
    if "parameters" in operation:
        operation["parameters"] = [p for p in operation["parameters"] if not (
            sdmx and p["in"] == "query" and p["name"] in NOT_OFFERED)]
        for parameter in operation["parameters"]:
            _typed(path, parameter, indicators)
    if method != "get":
        return
    content, more = _answer(path)
    if path == "/api/v1/series":   # [page metadata, rows], as the World Bank API answers
        content = _content(JSON, schema={"type": "array", "minItems": 2, "maxItems": 2})
    statuses = [*more, 400, 429]
    if "{" in path or sdmx:
        statuses.append(404)
    if path not in ("/healthz", "/metrics"):
        statuses.append(503)
    responses: dict[str, Any] = {"200": {"description": "the data", "content": content}}
    for status in sorted(set(statuses)):
        if status in _ERRORS:
            responses[str(status)] = {"description": _ERRORS[status],
                                      "content": _content(JSON, schema=ERROR)}
        else:
            responses[str(status)] = {"description": {204: "no data matches the query",
                                                      304: "not modified"}[status]}
    operation["responses"] = responses


def install(app: FastAPI, plans: Callable[[], list[Plan]]) -> None:
    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
            indicators = sorted({i.id for p in plans() for i in p.indicators})
            for path, operations in doc["paths"].items():
                for method, operation in operations.items():
                    _complete(path, method, operation, indicators)
            app.openapi_schema = doc
        return app.openapi_schema
    app.openapi = document  # type: ignore[method-assign]

"""Routes of the catalogues: DCAT-AP 3 by content negotiation (/catalog) or by extension
(/catalog.jsonld, /catalog.ttl, /catalog.json), data.json, and the 政务信息资源目录 as JSON.

Each catalogue lists one history distribution per indicator, so it asks the indicator
service which indicators there are, as the data package does.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from fastapi import FastAPI, Request, Response

from services.opendata import dcat, gov_catalog, pod
from services.opendata.backends import Backends
from services.opendata.catalog import ISSUED
from services.opendata.errors import FeedError
from services.opendata.negotiation import best
from services.opendata.responses import JSON, conditional, json_bytes
from yinling.territory import CITY

JSONLD = "application/ld+json"
TURTLE = "text/turtle"
# Offered by /catalog, most preferred first; application/json gets the JSON-LD too.
OFFERED = (JSONLD, TURTLE, JSON)


@lru_cache(maxsize=32)
def _rdf(base: str, indicator_ids: tuple[str, ...], media_type: str) -> bytes:
    return dcat.serialize(dcat.graph(base, indicator_ids), media_type)


def add_catalog_routes(app: FastAPI, backends: Callable[[Request], Backends],
                       base: Callable[[Request], str], contact: str) -> None:
    def indicator_ids(request: Request) -> tuple[str, ...]:
        return tuple(sorted({v.indicator_id for v in backends(request).list_indicators(CITY, "")}))

    def rdf(request: Request, media_type: str, content_type: str) -> Response:
        body = _rdf(base(request), indicator_ids(request), media_type)
        return conditional(request, body, f"{content_type}; charset=utf-8")

    @app.get("/catalog")
    def catalog_negotiated(request: Request) -> Response:
        chosen = best(request.headers.get("accept"), OFFERED)
        if chosen is None:
            raise FeedError(406, "Accept", f"the catalogue is served as {', '.join(OFFERED)}")
        response = rdf(request, TURTLE if chosen == TURTLE else JSONLD, chosen)
        response.headers["Vary"] = "Accept"
        return response

    @app.get("/catalog.jsonld")
    def catalog_jsonld(request: Request) -> Response:
        return rdf(request, JSONLD, JSONLD)

    @app.get("/catalog.ttl")
    def catalog_turtle(request: Request) -> Response:
        return rdf(request, TURTLE, TURTLE)

    @app.get("/catalog.json")
    def catalog_json(request: Request) -> Response:
        """The JSON-LD catalogue for clients that ask for plain JSON by name."""
        return rdf(request, JSONLD, JSON)

    @app.get("/data.json")
    def data_json(request: Request) -> Response:
        modified = backends(request).latest_change().recorded_at or ISSUED
        return conditional(request, json_bytes(
            pod.data_json(base(request), contact, modified, indicator_ids(request))), JSON)

    @app.get("/resource-catalog.json")
    def resource_catalogue(request: Request) -> Response:
        return conditional(request, json_bytes(
            gov_catalog.catalogue(base(request), indicator_ids(request))), JSON)

"""What every route of the feed does alike, over real HTTP: HEAD, CORS, unknown query
parameters refused by name, and per-client rate limits."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from opendata_fakes import backend_settings, running_feed
from yinling.config import Settings

NOT_GET_BY_HEAD = {"/docs", "/docs/oauth2-redirect", "/openapi.json"}
# Server-Sent Events streams never end: their GET is compared by its headers alone.
STREAMS = {"/api/v1/indicator-changes/stream", "/api/v1/platform-changes/stream"}


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with backend_settings() as settings:
        yield settings


@pytest.fixture(scope="module")
def feed(settings: Settings) -> Iterator[httpx.Client]:
    with running_feed(settings) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def _get_paths(feed: httpx.Client) -> list[str]:
    paths = [p.replace("{indicator_id}", "rd_intensity")
             for p, ops in feed.get("/openapi.json").json()["paths"].items() if "get" in ops]
    return [p for p in paths if p not in NOT_GET_BY_HEAD]


def test_head_answers_every_get_route_as_get_does_without_a_body(feed):
    paths = _get_paths(feed)
    assert len(paths) >= 15
    for path in paths:
        if path in STREAMS:
            with feed.stream("GET", path, params={"after": "0"}) as got:
                head = feed.head(path, params={"after": "0"})
                assert (head.status_code, head.content) == (got.status_code, b""), path
                assert head.headers["content-type"] == got.headers["content-type"], path
            continue
        got, head = feed.get(path), feed.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        # An XLSX of the values "now" holds each answer's computed_at, and its compressed
        # size may differ by a byte between two answers: its length is not compared.
        same = ("content-type", "etag") if path.endswith(".xlsx") else ("content-type", "etag", "content-length")
        for header in same:
            assert head.headers.get(header) == got.headers.get(header), (path, header)
        assert ("content-length" in head.headers) == ("content-length" in got.headers), path


def test_browsers_may_read_the_feed_from_any_origin(feed):
    response = feed.get("/api/v1/indicators", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    preflight = feed.options("/api/v1/indicators", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["access-control-allow-methods"]
    refused = feed.options("/api/v1/indicators", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "DELETE"})
    assert refused.status_code == 400


def test_every_route_refuses_an_unknown_query_parameter_by_name(feed):
    # A steward's token, so that routes behind a scope (webhooks) reach the parameter check too.
    headers = {"Accept": "application/json", "Authorization": "Bearer dev-steward"}
    for path in _get_paths(feed):
        response = feed.get(path, params={"teritory": "440703"}, headers=headers)
        assert response.status_code == 400, path
        error = response.json()["error"]
        assert error["field"] == "teritory" and "unknown query parameter" in error["reason"], path


def test_the_refusal_names_every_unknown_parameter_and_what_the_route_takes(feed):
    response = feed.get("/api/v1/indicator-changes", params={"z": "1", "after": "0", "a": "2"})
    reason = response.json()["error"]["reason"]
    assert response.status_code == 400 and "parameters a, z;" in reason
    assert "after, indicator, limit, territory" in reason
    assert feed.get("/api/v1/indicator-changes", params={"after": "0"}).status_code == 200


def test_a_client_over_its_limit_gets_429_with_retry_after(settings):
    limited = replace(settings, opendata_rate_limit="3/minute")
    with running_feed(limited) as url, httpx.Client(base_url=url, timeout=10) as client:
        answers = [client.get("/api/v1/platforms").status_code for _ in range(3)]
        over = client.get("/api/v1/indicators", headers={"Origin": "https://example.org"})
        assert answers == [200, 200, 200]
        assert over.status_code == 429
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert over.headers["access-control-allow-origin"] == "*"   # a browser can read it
        assert "retry after" in over.json()["error"]["reason"]
        assert client.get("/healthz").status_code == 200   # probes are not limited


def test_a_malformed_rate_limit_setting_is_refused_at_start(settings):
    from services.opendata.app import create_app
    with pytest.raises(ValueError, match="opendata rate limit 'lots'"):
        create_app(replace(settings, opendata_rate_limit="lots"))

"""Conditional GET of the indicator routes over real HTTP: ETag and Last-Modified from the
indicators' change log, never from the time of the request; 304 when the client has it."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

import opendata_fakes
from opendata_fakes import backend_settings, running_feed
from yinling.config import Settings

INDICATOR_ROUTES = ["/api/v1/indicators", "/api/v1/indicators.csv",
                    "/api/v1/indicators/rd_intensity", "/api/v1/indicators/rd_intensity/history",
                    "/api/v1/indicators/rd_intensity/history.csv", "/api/v1/indicator-changes",
                    "/api/v1/indicator-changes.csv"]


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with backend_settings() as settings:
        yield settings


@pytest.fixture(scope="module")
def feed(settings: Settings) -> Iterator[httpx.Client]:
    with running_feed(settings) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture
def new_change() -> Iterator[None]:
    """The indicator service records one more change while the test runs."""
    before = list(opendata_fakes.LATEST)
    opendata_fakes.LATEST[:] = [before[0] + 1, "2025-01-02T03:04:05.000001Z"]
    try:
        yield
    finally:
        opendata_fakes.LATEST[:] = before


@pytest.mark.parametrize("path", INDICATOR_ROUTES)
def test_indicator_etags_hold_while_no_change_is_recorded_and_move_with_one(feed, path, new_change):
    first, second = feed.get(path), feed.get(path)
    assert first.status_code == 200
    assert first.headers["etag"] == second.headers["etag"]
    assert feed.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    opendata_fakes.LATEST[:] = [opendata_fakes.LATEST[0] + 1, "2025-02-01T00:00:00Z"]
    after = feed.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]


def test_the_indicator_values_are_computed_per_request_but_their_etag_is_not(feed):
    """The values carry the time of the request (computed_at): the body changes, the ETag not."""
    first, second = feed.get("/api/v1/indicators"), feed.get("/api/v1/indicators")
    assert first.json()["indicators"][0]["computed_at"] != second.json()["indicators"][0]["computed_at"]
    assert first.headers["etag"] == second.headers["etag"]


def test_last_modified_is_when_the_newest_change_was_recorded(feed, new_change):
    response = feed.get("/api/v1/indicators", params={"as_of": "2024-12-31"})
    assert response.headers["last-modified"] == "Thu, 02 Jan 2025 03:04:05 GMT"
    since = {"If-Modified-Since": response.headers["last-modified"]}
    assert feed.get("/api/v1/indicators", params={"as_of": "2024-12-31"}, headers=since).status_code == 304
    earlier = {"If-Modified-Since": "Wed, 01 Jan 2025 00:00:00 GMT"}
    assert feed.get("/api/v1/indicators", params={"as_of": "2024-12-31"}, headers=earlier).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    both = {**since, "If-None-Match": '"something-else"'}
    assert feed.get("/api/v1/indicators", params={"as_of": "2024-12-31"}, headers=both).status_code == 200


def test_values_now_are_modified_at_the_start_of_today_at_the_earliest(feed, new_change):
    """A value "now" changes with the day alone (a certificate expires): the day counts."""
    modified = parsedate_to_datetime(feed.get("/api/v1/indicators").headers["last-modified"])
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=0, minute=0, second=0, microsecond=0)
    assert modified == start


def test_a_304_carries_the_validators_and_no_body(feed):
    first = feed.get("/api/v1/indicators.csv")
    again = feed.get("/api/v1/indicators.csv", headers={"If-None-Match": f'W/{first.headers["etag"]}'})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["last-modified"] == first.headers["last-modified"]


def test_a_changed_query_has_its_own_etag(feed):
    city = feed.get("/api/v1/indicators", params={"territory": "440700"})
    district = feed.get("/api/v1/indicators", params={"territory": "440703"},
                        headers={"If-None-Match": city.headers["etag"]})
    assert district.status_code == 200 and district.headers["etag"] != city.headers["etag"]

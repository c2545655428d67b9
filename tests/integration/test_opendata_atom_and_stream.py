"""The indicators' changes as an Atom feed and as a Server-Sent Events stream over real HTTP:
Atom that feedparser and an XML parser accept, with the newest change first; a stream read by
a real SSE client that delivers a change recorded while it listens, and resumes after the
Last-Event-ID it was given."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from httpx_sse import connect_sse

import opendata_fakes
from atom_check import check_atom
from opendata_fakes import CITY, backend_settings, indicator_value, running_feed
from yinling.v1 import indicators_pb2 as ipb

STREAM = "/api/v1/indicator-changes/stream"


@pytest.fixture(scope="module")
def feed() -> Iterator[httpx.Client]:
    with backend_settings() as settings, running_feed(settings) as url, \
            httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture
def later_change() -> Iterator[ipb.IndicatorChanged]:
    """A change the indicator service records while the test runs (cursor 15)."""
    change = ipb.IndicatorChanged(cursor=15, value=indicator_value("rd_intensity", CITY, "2024-07-02"),
                                  previous_value="1.65", series="now")
    change.value.value = "1.70 <&>"   # what the XML and the JSON must carry escaped
    before = list(opendata_fakes.LATEST)
    try:
        yield change
    finally:
        opendata_fakes.CHANGES[:] = [c for c in opendata_fakes.CHANGES if c.cursor != 15]
        opendata_fakes.LATEST[:] = before


def record(change: ipb.IndicatorChanged) -> None:
    opendata_fakes.CHANGES.append(change)
    opendata_fakes.LATEST[:] = [change.cursor, "2024-07-02T01:00:00Z"]


def test_the_atom_feed_is_well_formed_atom_with_the_newest_change_first(feed, later_change) -> None:  # type: ignore[no-untyped-def]
    record(later_change)
    assert feed.get("/api/v1").json()["changes"]["indicators"]["atom"].endswith(
        "/api/v1/indicator-changes.atom")
    answer = feed.get("/api/v1/indicator-changes.atom")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    entries = check_atom(answer.content)
    assert [e["id"].rsplit(":", 1)[1] for e in entries] == ["15", "12", "8", "7", "4", "3"]
    assert entries[0]["title"] == "rd_intensity 440700 now 2024-07-02: 1.70 <&> % (was 1.65)"
    assert "value: 1.70 <&>" in entries[0]["content"]
    again = feed.get("/api/v1/indicator-changes.atom", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_the_stream_sends_each_change_with_its_cursor_and_resumes_after_last_event_id(feed, later_change) -> None:  # type: ignore[no-untyped-def]
    with connect_sse(feed, "GET", STREAM, params={"after": "0"}) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        events = source.iter_sse()
        first = [next(events) for _ in range(5)]
        assert [e.id for e in first] == ["3", "4", "7", "8", "12"]
        assert {e.event for e in first} == {"indicator-change"}
        assert first[1].json()["previous_value"] == "615"
        record(later_change)                          # recorded while the client listens
        live = next(events)
        assert live.id == "15" and live.json()["value"] == "1.70 <&>"

    with connect_sse(feed, "GET", STREAM, headers={"Last-Event-ID": "8"}) as source:
        events = source.iter_sse()
        assert [next(events).id for _ in range(2)] == ["12", "15"]

    refused = feed.get(STREAM, headers={"Last-Event-ID": "eight"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "Last-Event-ID"

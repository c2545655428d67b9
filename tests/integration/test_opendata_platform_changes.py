"""The accredited platforms' change feed over the real registry and the real feed: a client
that pulls it in small pages, stops, and resumes from its cursor ends with exactly the bulk
download; a revoked platform leaves as a deletion; history the public cannot see is passed
over; the Atom feed holds the same changes, newest first."""
from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from atom_check import check_atom
from opendata_fakes import running_feed
from platform_registry import Steward, registry
from yinling.config import Settings


def pull(client: httpx.Client, after: int, limit: int, pages: int | None = None
         ) -> tuple[list[dict[str, Any]], int]:
    """Pages of `limit` changes after `after`, until caught up (or `pages` pages read)."""
    seen: list[dict[str, Any]] = []
    while pages is None or pages > 0:
        answer = client.get("/api/v1/platform-changes", params={"after": after, "limit": limit})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["changes"]) <= limit
        assert answer.headers["X-Next-Cursor"] == str(page["next_cursor"])
        seen += page["changes"]
        if not page["changes"]:
            return seen, page["next_cursor"]
        assert page["next_cursor"] >= page["changes"][-1]["cursor"]  # past hidden entries too
        after = page["next_cursor"]
        pages = None if pages is None else pages - 1
    return seen, after


def replay(changes: list[dict[str, Any]], into: dict[str, dict[str, Any]]) -> None:
    for change in changes:
        record = {k: v for k, v in change.items() if k not in ("cursor", "op", "recorded_at")}
        if change["op"] == "deletion":
            assert change["id"] in into, "a deletion of a platform the client never had"
            del into[change["id"]]
        else:
            assert (change["id"] in into) == (change["op"] == "revision"), change
            into[change["id"]] = record


def bulk(client: httpx.Client) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = client.get("/api/v1/platforms", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        rows += page["platforms"]
        if not page["next_cursor"]:
            return {r["id"]: r for r in rows}
        cursor = page["next_cursor"]


@pytest.fixture
def feed(broker, database_url, tmp_path):  # type: ignore[no-untyped-def]
    with registry(broker.bootstrap, database_url, Settings(data_dir=tmp_path)) as (stub, settings), \
            running_feed(settings) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield Steward(stub), client


def test_pulling_in_pages_stopping_and_resuming_ends_with_the_bulk_download(feed) -> None:  # type: ignore[no-untyped-def]
    steward, client = feed
    a = steward.accredited("江门激光研究院")
    b = steward.accredited("江海区新材料中心", "440704")
    steward.register("未认定的平台")              # under construction: not public
    c = steward.accredited("鹤山市纺织研究中心", "440784")
    steward.evaluate(a)                          # evaluations are not public fields

    mirror: dict[str, dict[str, Any]] = {}
    first, cursor = pull(client, 0, limit=2, pages=1)
    assert [ch["op"] for ch in first] == ["insert", "insert"]
    replay(first, mirror)

    steward.upgrade(b)
    steward.rename(c, "鹤山市纺织R&D<中心>")
    steward.revoke(a)
    steward.rename(a, "江门激光研究院（已撤销）")   # a revoked platform's correction stays inside
    rest, end = pull(client, cursor, limit=2)
    replay(rest, mirror)

    assert [(ch["op"], ch["id"]) for ch in first + rest] == [
        ("insert", a), ("insert", b), ("insert", c), ("revision", b), ("revision", c),
        ("deletion", a)]
    cursors = [ch["cursor"] for ch in first + rest]
    assert cursors == sorted(set(cursors))
    assert mirror == bulk(client) and set(mirror) == {b, c}
    assert mirror[b]["level"] == "national" and mirror[c]["name"] == "鹤山市纺织R&D<中心>"

    again, same = pull(client, end, limit=2)     # caught up: nothing new, the cursor kept
    assert again == [] and same == end

    table = client.get("/api/v1/platform-changes.csv", params={"after": 0, "limit": 100})
    lines = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert [(int(r["cursor"]), r["op"], r["id"]) for r in lines] == [
        (ch["cursor"], ch["op"], ch["id"]) for ch in first + rest]

    atom = client.get("/api/v1/platform-changes.atom")
    assert atom.status_code == 200
    entries = check_atom(atom.content)            # newest first, one per public change
    assert [e["id"].rsplit(":", 1)[1] for e in entries] == [str(c) for c in reversed(cursors)]
    assert entries[0]["title"] == f"{a} left the accredited platforms"
    assert entries[1]["title"].startswith(f"鹤山市纺织R&D<中心> ({c}) revised")

    refused = client.get("/api/v1/platform-changes", params={"after": "-1"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "after"

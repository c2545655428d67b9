"""An Atom feed (RFC 4287) of a dataset's newest changes, written by feedgen (a kept library
that escapes the XML and writes every element the RFC requires)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from feedgen.feed import FeedGenerator

from services.opendata.changefeeds import ChangeFeed

ATOM = "application/atom+xml; charset=utf-8"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ENTRIES = 50        # the newest changes shown
WINDOW = 2000       # cursors looked back from the newest to find them


def _moment(text: str, fallback: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def newest(feed: ChangeFeed, count: int = ENTRIES) -> list[dict[str, Any]]:
    """The last `count` changes, oldest first: read forward from a little before the newest."""
    rows: list[dict[str, Any]] = []
    cursor = max(0, feed.latest() - WINDOW)
    while True:
        page = feed.page(cursor, 1000)
        rows = (rows + page.rows)[-count:]
        if not page.rows:
            return rows
        cursor = page.next_cursor


def render(feed: ChangeFeed, rows: list[dict[str, Any]], base: str) -> bytes:
    """Entries newest first; ids are stable URNs of the dataset and the change's cursor. The
    times are the changes' own (never the request's, so the same changes give the same
    document and ETag); a change without one takes the newest known, else the epoch."""
    known = [m for m in (_moment(feed.moment(r), EPOCH) for r in rows) if m != EPOCH]
    now = max(known, default=EPOCH)
    times = [_moment(feed.moment(r), now) for r in rows]
    fg = FeedGenerator()
    fg.id(f"urn:yinling:opendata:{feed.name}-changes")
    fg.title(f"Yinling open data: changes of {feed.name}")
    fg.subtitle(f"The newest changes of the {feed.name} dataset; every change from any cursor "
                f"at {base}{feed.path}")
    fg.author(name="Yinling open data")
    fg.link(href=f"{base}{feed.path}.atom", rel="self", type="application/atom+xml")
    fg.link(href=f"{base}{feed.path}", rel="alternate", type="application/json")
    fg.updated(max(times, default=now))
    for row, moment in zip(rows, times, strict=True):
        entry = fg.add_entry(order="prepend")
        entry.id(f"urn:yinling:opendata:{feed.name}-change:{row['cursor']}")
        entry.title(feed.title(row))
        entry.updated(moment)
        query = urlencode({"after": int(row["cursor"]) - 1, "limit": 1})
        entry.link(href=f"{base}{feed.path}?{query}", rel="alternate", type="application/json")
        entry.content(", ".join(f"{k}: {v}" for k, v in row.items()), type="text")
    return fg.atom_str(pretty=True)  # type: ignore[no-any-return]

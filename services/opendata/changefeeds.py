"""The datasets' change feeds as one shape: pages of changes after a cursor, in order.

Every consumer of changes (the JSON pages, Atom, Server-Sent Events, webhooks) reads a
`ChangeFeed`, so each dataset says once where its cursor comes from and what a change is.

- indicators: the IndicatorService's change log (its cursor, handed out in commit order).
- platforms: the platform registry's history, read through `PlatformRegistry.ListChanges`;
  the cursor is the history entry's id, handed out in commit order by the registry
  (yinling.commit_order). The public set is the accredited platforms: an entry that brings a
  platform into it is an insert, one that changes its public fields a revision, one that takes
  it out (revoked) a deletion; entries the public cannot see (registration, evaluations,
  corrections of a revoked platform) are passed over, and the cursor moves past them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.opendata.backends import Backends
from services.opendata.formatting import (
    CHANGE_COLUMNS,
    PLATFORM_COLUMNS,
    change_row,
    is_public_platform,
    platform_public,
)
from yinling.v1 import platforms_pb2

PLATFORM_CHANGE_COLUMNS = ("cursor", "op", "recorded_at", *PLATFORM_COLUMNS)
INSERT, REVISION, DELETION = "insert", "revision", "deletion"
SCAN_PAGE = 500   # history entries read per call while looking for public changes
# Each dataset's change feed; its Atom feed is PATH.atom, its event stream PATH/stream.
PATHS = {"platforms": "/api/v1/platform-changes", "indicators": "/api/v1/indicator-changes"}


@dataclass(frozen=True)
class FeedPage:
    rows: list[dict[str, Any]]   # each with its "cursor", ascending
    next_cursor: int             # where the next page starts (past entries passed over too)


@dataclass(frozen=True)
class ChangeFeed:
    name: str                    # the dataset: "platforms", "indicators"
    path: str                    # its JSON change feed
    columns: tuple[str, ...]
    page: Callable[[int, int], FeedPage]    # (after, limit)
    latest: Callable[[], int]               # the newest cursor (0: none)
    title: Callable[[dict[str, Any]], str]  # one line saying what changed
    subject: Callable[[dict[str, Any]], str]
    moment: Callable[[dict[str, Any]], str]  # RFC 3339 time of the change ("" if unknown)


def platform_change_row(change: platforms_pb2.PlatformChange) -> dict[str, Any] | None:
    """The public meaning of one history entry, or None when the public sees no change."""
    after = platform_public(change.platform) if is_public_platform(change.platform) else None
    before = (platform_public(change.previous)
              if change.HasField("previous") and is_public_platform(change.previous) else None)
    if after is None and before is None or after == before:
        return None
    if after is None:
        op, fields = DELETION, {c: "" for c in PLATFORM_COLUMNS} | {"id": change.platform.id}
    else:
        op, fields = (INSERT if before is None else REVISION), after
    return {"cursor": change.cursor, "op": op, "recorded_at": change.entry.recorded_at, **fields}


def platform_page(backends: Backends, after: int, limit: int) -> FeedPage:
    """Up to `limit` public changes after the cursor; history entries the public does not see
    are read past, so a page is empty only when the feed is caught up."""
    rows: list[dict[str, Any]] = []
    cursor = after
    while True:
        scanned = backends.platform_changes(cursor, SCAN_PAGE)
        for change in scanned.changes:
            cursor = change.cursor
            row = platform_change_row(change)
            if row is not None:
                rows.append(row)
                if len(rows) == limit:
                    return FeedPage(rows, cursor)
        if len(scanned.changes) < SCAN_PAGE:
            return FeedPage(rows, cursor)


def platform_title(row: dict[str, Any]) -> str:
    if row["op"] == DELETION:
        return f"{row['id']} left the accredited platforms"
    what = "accredited" if row["op"] == INSERT else "revised"
    return f"{row['name']} ({row['id']}) {what}: {row['level']} {row['kind']}, {row['district']}"


def indicator_title(row: dict[str, Any]) -> str:
    value = "suppressed" if row["suppressed"] else row["value"]
    was = f" (was {row['previous_value']})" if row["previous_value"] else ""
    return (f"{row['indicator_id']} {row['territory']} {row['series']} {row['as_of']}: "
            f"{value} {row['unit']}{was}").rstrip()


def feeds(backends: Callable[[], Backends]) -> dict[str, ChangeFeed]:
    """The change feed of every dataset the feed publishes, by dataset name."""
    def indicator_page(after: int, limit: int) -> FeedPage:
        page = backends().indicator_changes(after, limit, [], [])
        return FeedPage([change_row(c) for c in page.changes], page.next_cursor)

    return {
        "platforms": ChangeFeed(
            "platforms", PATHS["platforms"], PLATFORM_CHANGE_COLUMNS,
            lambda after, limit: platform_page(backends(), after, limit),
            lambda: backends().platform_changes(0, 1).latest_cursor,
            platform_title, lambda row: str(row["id"]), lambda row: str(row["recorded_at"])),
        "indicators": ChangeFeed(
            "indicators", PATHS["indicators"], CHANGE_COLUMNS, indicator_page,
            lambda: backends().latest_change().cursor, indicator_title,
            lambda row: f"{row['indicator_id']}/{row['territory']}/{row['series']}",
            lambda row: str(row["computed_at"])),
    }

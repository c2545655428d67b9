"""Validators of the indicator routes from the data's own change cursor, not the body.

An indicator value carries the time it was computed, which for "now" is the time of the
request, so a hash of the body changes on every request. What a response depends on is the
change log (its newest cursor), the route and query, and, for values "now", the day. The
ETag is a hash of those; Last-Modified is when the newest change was recorded, or for values
"now" the start of the day if later (such a value can change with the day alone). Both are known before any
value is read, so a client that has the current representation gets 304 at the cost of one
small call.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time
from email.utils import format_datetime, parsedate_to_datetime
from zoneinfo import ZoneInfo

from fastapi import Request, Response

from services.opendata.formatting import etag_matches
from services.opendata.negotiation import wants_xlsx
from yinling.envelope import parse_time

CACHE_CONTROL = "public, max-age=30"


@dataclass(frozen=True)
class Version:
    etag: str
    modified: datetime   # UTC, whole seconds

    def headers(self) -> dict[str, str]:
        return {"ETag": self.etag, "Last-Modified": format_datetime(self.modified, usegmt=True),
                "Cache-Control": CACHE_CONTROL}


class NotModified(Exception):  # noqa: N818 (an answer, not a failure)
    def __init__(self, version: Version) -> None:
        super().__init__("not modified")
        self.version = version


def version_of(request: Request, cursor: int, recorded_at: str, zone: str, daily: bool,
               now: datetime | None = None) -> Version:
    """`daily`: the answer is of values "now", which change with the day too."""
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(zone)).date()
    floor = (datetime.combine(today, time(), ZoneInfo(zone)).astimezone(UTC) if daily
             else datetime(1970, 1, 1, tzinfo=UTC))
    changed = parse_time(recorded_at).astimezone(UTC) if recorded_at else floor
    query = "&".join(sorted(str(request.url.query).split("&")))
    # A dataset's route answers JSON or XLSX by Accept: each representation its own ETag.
    shape = "xlsx" if wants_xlsx(request.headers.get("accept")) else ""
    seed = f"{cursor}|{today.isoformat() if daily else ''}|{request.url.path}|{query}|{shape}"
    etag = '"c' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'
    return Version(etag, max(changed, floor).replace(microsecond=0))


def is_fresh(request: Request, version: Version) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, version.etag)
    since = request.headers.get("if-modified-since")
    if not since:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False   # an invalid date is ignored (RFC 9110 13.1.3)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return version.modified <= moment


def check(request: Request, cursor: int, recorded_at: str, zone: str, daily: bool) -> None:
    """Keep the version for the response's headers; raise NotModified when the client has it."""
    version = version_of(request, cursor, recorded_at, zone, daily)
    request.state.version = version
    if is_fresh(request, version):
        raise NotModified(version)


def version_for(request: Request) -> Version | None:
    return getattr(request.state, "version", None)


async def not_modified_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers=exc.version.headers())

"""Backends for the open-data feed's tests: fixed records behind real gRPC servers.

The platform and indicator services are written by other teams; the feed's tests serve
fixed records through these small servicers on real gRPC servers, since what is under
test is the feed: its projection, formats, pages, caching and errors.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import uvicorn

from services.opendata.app import create_app
from services.opendata.plans import loader
from services.opendata.webhook_delivery import DeliveryOptions
from yinling.broker import free_port
from yinling.config import Settings
from yinling.errors import NotFound, ValidationError
from yinling.grpc_server import GrpcServer, ServiceBinding
from yinling.paging import next_token, page_bounds
from yinling.v1 import common_pb2 as cpb
from yinling.v1 import indicators_pb2 as ipb
from yinling.v1 import indicators_pb2_grpc, platforms_pb2_grpc
from yinling.v1 import platforms_pb2 as ppb

ACCREDITED, REVOKED, BUILDING = (ppb.PLATFORM_STATUS_ACCREDITED, ppb.PLATFORM_STATUS_REVOKED,
                                 ppb.PLATFORM_STATUS_UNDER_CONSTRUCTION)
CITY = "440700"


def _platform(n: int, status: int, district: str, level: int = ppb.PLATFORM_LEVEL_PROVINCIAL) -> ppb.Platform:
    p = ppb.Platform(id=f"plt-{n:03d}", name=f"平台{n}", kind="key_laboratory", level=level,
                     status=status, host_organisation=f"Host {n}", district=district,
                     host_credit_code=f"SECRETCODE{n:08d}", industry_cluster="new_materials",
                     registered_on="2021-01-01", version=3)
    period = p.periods.add(level=level)
    setattr(period, "from", "2022-02-01")
    p.evaluations.add(year=2023, grade="excellent", evaluated_on="2024-01-15")
    return p


def replace_status(p: ppb.Platform, status: int) -> ppb.Platform:
    other = ppb.Platform()
    other.CopyFrom(p)
    other.status = status
    return other


PLATFORMS = ([_platform(n, ACCREDITED, "440703" if n % 2 else "440704") for n in range(1, 8)]
             + [_platform(8, REVOKED, "440703"), _platform(9, BUILDING, "440703")])

# id -> (name_zh, name_en, unit, city target, city value, city progress, city status);
# the targets are city-wide, so in a district every indicator has no target.
INDICATORS = {
    "rd_intensity": ("研发经费投入强度", "R&D intensity", "%", "3.3", "1.65", 0.5,
                     ipb.INDICATOR_STATUS_ON_TRACK),
    "provincial_platforms": ("省级以上科技创新平台", "Provincial platforms", "platforms", "560",
                             "616", 1.1, ipb.INDICATOR_STATUS_AHEAD),
    "high_tech_enterprises": ("高新技术企业", "High-tech enterprises", "enterprises", "3000",
                              "1050", 0.35, ipb.INDICATOR_STATUS_BEHIND),
}


def indicator_value(indicator_id: str, territory: str, as_of: str) -> ipb.IndicatorValue:
    zh, en, unit, target, value, progress, status = INDICATORS[indicator_id]
    if territory != CITY:
        target, progress, status = "", 0.0, ipb.INDICATOR_STATUS_NO_TARGET
    return ipb.IndicatorValue(plan_id="jiangmen-2022-2024", indicator_id=indicator_id,
                              territory=territory, as_of=as_of or "2024-06-30", value=value,
                              unit=unit, target=target, expected="5", progress=progress,
                              status=status, name_zh=zh, name_en=en)


class Indicators(indicators_pb2_grpc.IndicatorServiceServicer):
    def __init__(self, changes: list[ipb.IndicatorChanged] | None = None) -> None:
        self.changes = changes   # None: the module's CHANGES (which a test may move on)

    def List(self, request, context):  # noqa: N802
        """Computed at the time of the request, as the real service's values are."""
        territories = [request.territory] if request.territory else [CITY, "440703"]
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        values = [indicator_value(i, t, request.as_of) for t in territories for i in INDICATORS]
        for v in values:
            v.computed_at = now
        return ipb.ListIndicatorsResponse(values=values)

    def Get(self, request, context):  # noqa: N802
        if request.indicator_id not in INDICATORS:
            raise NotFound("indicator", request.indicator_id)
        return indicator_value(request.indicator_id, request.territory, request.as_of)

    def History(self, request, context):  # noqa: N802
        if request.indicator_id not in INDICATORS:
            raise NotFound("indicator", request.indicator_id)
        return ipb.IndicatorHistoryResponse(points=[
            ipb.IndicatorChanged(cursor=c, value=indicator_value(request.indicator_id,
                                                                 request.territory, d),
                                 previous_value=str(c - 1), cause_event_id="secret-event")
            for c, d in ((1, "2023-01-01"), (2, "2024-01-01"))])

    def ListChanges(self, request, context):  # noqa: N802
        if request.after_cursor < 0:
            raise ValidationError("after_cursor", "must be 0 or a cursor received")
        if not 0 <= request.limit <= 5000:
            raise ValidationError("limit", "must be between 1 and 5000")
        for n, indicator_id in enumerate(request.indicator_ids):
            if indicator_id not in PLAN_INDICATORS:
                raise ValidationError(f"indicator_ids[{n}]", f"unknown indicator {indicator_id!r}")
        rows = [c for c in (CHANGES if self.changes is None else self.changes)
                if c.cursor > request.after_cursor
                and (not request.indicator_ids or c.value.indicator_id in request.indicator_ids)
                and (not request.territories or c.value.territory in request.territories)]
        rows = rows[:request.limit or 500]
        return ipb.ListIndicatorChangesResponse(
            changes=rows, next_cursor=rows[-1].cursor if rows else request.after_cursor)

    def LatestChange(self, request, context):  # noqa: N802
        cursor, recorded_at = LATEST
        return ipb.LatestChangeResponse(cursor=cursor, recorded_at=recorded_at)


# The indicators the service knows: the plan's (it holds changes of three of them here).
PLAN_INDICATORS = {i.id for p in loader(Settings())() for i in p.indicators}


# The change log: cursors increase with gaps (other plans' changes), as the real log's may.
CHANGES = [
    ipb.IndicatorChanged(cursor=cursor, value=indicator_value(i, t, as_of), previous_value=prev,
                         cause_event_id="secret-event", series=series)
    for cursor, i, t, series, as_of, prev in (
        (3, "rd_intensity", CITY, "now", "2024-06-30", ""),
        (4, "provincial_platforms", CITY, "now", "2024-06-30", "615"),
        (7, "provincial_platforms", "440703", "2023-12-31", "2023-12-31", "12"),
        (8, "high_tech_enterprises", CITY, "now", "2024-07-01", "1049"),
        (12, "provincial_platforms", CITY, "2024-12-31", "2024-12-31", "614"),
    )]


# The newest change (cursor, when recorded); a test may move it on, as a new change would.
LATEST: list = [CHANGES[-1].cursor, "2024-12-31T16:30:00.123456Z"]


def _platform_change(cursor: int, platform: ppb.Platform,
                     previous: ppb.Platform | None = None) -> ppb.PlatformChange:
    change = ppb.PlatformChange(cursor=cursor, platform=platform,
                                entry=cpb.HistoryEntry(recorded_at="2024-03-01T08:00:00Z"))
    if previous is not None:
        change.previous.CopyFrom(previous)
    return change


# The registry's history: every platform registered (a change the public does not see, as it
# is not yet accredited) and then accredited, or not.
PLATFORM_CHANGES = [
    change for n, p in enumerate(PLATFORMS)
    for change in (_platform_change(2 * n + 1, replace_status(p, BUILDING)),
                   _platform_change(2 * n + 2, p, replace_status(p, BUILDING)))]


class Platforms(platforms_pb2_grpc.PlatformRegistryServicer):
    def ListChanges(self, request, context):  # noqa: N802
        if request.after_cursor < 0:
            raise ValidationError("after_cursor", "must be 0 or a cursor received")
        rows = [c for c in PLATFORM_CHANGES if c.cursor > request.after_cursor][:request.limit or 500]
        return ppb.ListPlatformChangesResponse(
            changes=rows, next_cursor=rows[-1].cursor if rows else request.after_cursor,
            latest_cursor=PLATFORM_CHANGES[-1].cursor)

    def List(self, request, context):  # noqa: N802
        rows = [p for p in PLATFORMS
                if (not request.status or p.status == request.status)
                and (not request.district or p.district == request.district)
                and (not request.level or p.level == request.level)]
        offset, limit = page_bounds(request.page.page_size, request.page.page_token)
        return ppb.ListPlatformsResponse(platforms=rows[offset:offset + limit], total=len(rows),
                                         next_page_token=next_token(offset, limit, len(rows)))


@contextmanager
def backend_settings(indicators: indicators_pb2_grpc.IndicatorServiceServicer | None = None,
                     ) -> Iterator[Settings]:
    """Settings whose indicator and platform addresses are one real gRPC server of fakes."""
    base = Settings()
    grpc_server = GrpcServer("opendata-test-backends", [
        ServiceBinding("yinling.v1.IndicatorService",
                       indicators_pb2_grpc.add_IndicatorServiceServicer_to_server,
                       indicators or Indicators()),
        ServiceBinding("yinling.v1.PlatformRegistry",
                       platforms_pb2_grpc.add_PlatformRegistryServicer_to_server, Platforms()),
    ], "127.0.0.1:0", max_workers=4).start()
    try:
        yield replace(base, ports={**base.ports, "indicators.grpc": grpc_server.port,
                                   "platforms.grpc": grpc_server.port})
    finally:
        grpc_server.stop(0)


@contextmanager
def running_feed(settings: Settings, webhooks: DeliveryOptions | None = None) -> Iterator[str]:
    """The real feed under uvicorn on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, webhooks), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the feed did not start"
            assert thread.is_alive(), "the feed stopped while starting"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class PageDom(HTMLParser):
    """What a reader of the indicator page sees: options of each <select>, table rows as
    cell texts, <progress> elements, links; enough to assert on without a DOM library."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.options: dict[str, list[tuple[str, bool, str]]] = {}
        self.rows: list[list[str]] = []
        self.row_tables: list[int] = []     # which table (0 = the first) each row is in
        self._tables = -1
        self.progress: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.scripts = 0
        self.lang: str | None = None
        self._select: str | None = None
        self._cell: list[str] | None = None
        self._option: list | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "select":
            self._select = a.get("name") or ""
            self.options[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value") or "", "selected" in a, ""]
        elif tag == "table":
            self._tables += 1
        elif tag == "tr":
            self.rows.append([])
            self.row_tables.append(self._tables)
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "progress":
            self.progress.append(a)
        elif tag == "a":
            self.links.append(a.get("href") or "")
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select is not None:
            self.options[self._select].append((self._option[0], self._option[1],
                                               self._option[2].strip()))
            self._option = None
        elif tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2] += data
        if self._cell is not None:
            self._cell.append(data + " ")

    def selected(self, name: str) -> list[str]:
        return [value for value, chosen, _ in self.options.get(name, []) if chosen]

    def body_rows(self, table: int | None = 0) -> dict[str, list[str]]:
        """Data rows of the first table (or of every one), keyed by their first (row header)
        cell; each table's header row left out."""
        picked = [(r, t) for r, t in zip(self.rows, self.row_tables, strict=True)
                  if table is None or t == table]
        first = {t: n for n, (_, t) in reversed(list(enumerate(picked)))}
        return {r[0]: r[1:] for n, (r, t) in enumerate(picked)
                if n != first[t] and len(r) > 1}

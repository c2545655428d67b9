"""The open-data feed over real HTTP, in front of real gRPC servers.

The platform and indicator services are written by other teams; these tests serve fixed
records through small in-test servicers on real gRPC servers, since what is under test is
the feed: its projection, formats, caching and errors.
"""
from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from services.opendata.app import create_app
from yinling.broker import free_port
from yinling.config import Settings
from yinling.errors import NotFound
from yinling.grpc_server import GrpcServer, ServiceBinding
from yinling.paging import next_token, page_bounds
from yinling.v1 import indicators_pb2 as ipb
from yinling.v1 import indicators_pb2_grpc, platforms_pb2_grpc
from yinling.v1 import platforms_pb2 as ppb

ACCREDITED, REVOKED, BUILDING = (ppb.PLATFORM_STATUS_ACCREDITED, ppb.PLATFORM_STATUS_REVOKED,
                                 ppb.PLATFORM_STATUS_UNDER_CONSTRUCTION)


def _platform(n: int, status: int, district: str, level: int = ppb.PLATFORM_LEVEL_PROVINCIAL) -> ppb.Platform:
    p = ppb.Platform(id=f"plt-{n:03d}", name=f"平台{n}", kind="key_laboratory", level=level,
                     status=status, host_organisation=f"Host {n}", district=district,
                     host_credit_code=f"SECRETCODE{n:08d}", industry_cluster="new_materials",
                     registered_on="2021-01-01", version=3)
    period = p.periods.add(level=level)
    setattr(period, "from", "2022-02-01")
    p.evaluations.add(year=2023, grade="excellent", evaluated_on="2024-01-15")
    return p


PLATFORMS = ([_platform(n, ACCREDITED, "440703" if n % 2 else "440704") for n in range(1, 8)]
             + [_platform(8, REVOKED, "440703"), _platform(9, BUILDING, "440703")])

INDICATORS = {
    "rd_intensity": ("研发经费投入强度", "R&D intensity", "%", "3.3"),
    "provincial_platforms": ("省级以上科技创新平台", "Provincial platforms", "platforms", "560"),
}


def _value(indicator_id: str, territory: str, as_of: str) -> ipb.IndicatorValue:
    zh, en, unit, target = INDICATORS[indicator_id]
    return ipb.IndicatorValue(plan_id="jiangmen-2022-2024", indicator_id=indicator_id,
                              territory=territory, as_of=as_of or "2024-06-30", value="7",
                              unit=unit, target=target, expected="5", progress=0.5,
                              status=ipb.INDICATOR_STATUS_ON_TRACK, name_zh=zh, name_en=en)


class Indicators(indicators_pb2_grpc.IndicatorServiceServicer):
    def List(self, request, context):  # noqa: N802
        territories = [request.territory] if request.territory else ["440700", "440703"]
        return ipb.ListIndicatorsResponse(values=[
            _value(i, t, request.as_of) for t in territories for i in INDICATORS])

    def Get(self, request, context):  # noqa: N802
        if request.indicator_id not in INDICATORS:
            raise NotFound("indicator", request.indicator_id)
        return _value(request.indicator_id, request.territory, request.as_of)

    def History(self, request, context):  # noqa: N802
        return ipb.IndicatorHistoryResponse(points=[
            ipb.IndicatorChanged(cursor=c, value=_value(request.indicator_id, request.territory, d),
                                 previous_value=str(c - 1), cause_event_id="secret-event")
            for c, d in ((1, "2023-01-01"), (2, "2024-01-01"))])


class Platforms(platforms_pb2_grpc.PlatformRegistryServicer):
    def List(self, request, context):  # noqa: N802
        rows = [p for p in PLATFORMS
                if (not request.status or p.status == request.status)
                and (not request.district or p.district == request.district)
                and (not request.level or p.level == request.level)]
        offset, limit = page_bounds(request.page.page_size, request.page.page_token)
        return ppb.ListPlatformsResponse(platforms=rows[offset:offset + limit], total=len(rows),
                                         next_page_token=next_token(offset, limit, len(rows)))


def _serve_feed(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the feed did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    base = Settings()
    grpc_server = GrpcServer("opendata-test-backends", [
        ServiceBinding("yinling.v1.IndicatorService",
                       indicators_pb2_grpc.add_IndicatorServiceServicer_to_server, Indicators()),
        ServiceBinding("yinling.v1.PlatformRegistry",
                       platforms_pb2_grpc.add_PlatformRegistryServicer_to_server, Platforms()),
    ], "127.0.0.1:0", max_workers=4).start()
    ports = {**base.ports, "indicators.grpc": grpc_server.port, "platforms.grpc": grpc_server.port}
    yield replace(base, ports=ports)
    grpc_server.stop(0)


@pytest.fixture(scope="module")
def feed(settings: Settings) -> Iterator[httpx.Client]:
    server, thread, url = _serve_feed(settings)
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client
    server.should_exit = True
    thread.join(10)


def _csv(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_indicators_json_lists_every_value_with_target_and_progress(feed):
    body = feed.get("/api/v1/indicators", params={"territory": "440700", "as_of": "2024-12-31"}).json()
    rows = {r["indicator_id"]: r for r in body["indicators"]}
    assert set(rows) == set(INDICATORS)
    rd = rows["rd_intensity"]
    assert (rd["target"], rd["expected"], rd["progress"], rd["status"]) == ("3.3", "5", 0.5, "on_track")
    assert (rd["name_zh"], rd["unit"], rd["as_of"]) == ("研发经费投入强度", "%", "2024-12-31")


def test_indicators_csv_has_a_header_and_one_row_per_value(feed):
    response = feed.get("/api/v1/indicators.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:3] == ["plan_id", "indicator_id", "territory"]
    assert len(rows) == 1 + 2 * len(INDICATORS)


def test_one_indicator_and_its_history(feed):
    one = feed.get("/api/v1/indicators/provincial_platforms", params={"territory": "440703"})
    assert one.status_code == 200 and one.json()["territory"] == "440703"
    history = feed.get("/api/v1/indicators/provincial_platforms/history",
                       params={"series": "2024-12-31"}).json()
    assert history["series"] == "2024-12-31" and history["territory"] == "440700"
    assert [p["cursor"] for p in history["points"]] == [1, 2]
    assert "secret-event" not in repr(history)


def test_unknown_indicator_is_404(feed):
    response = feed.get("/api/v1/indicators/perpetual_motion")
    assert response.status_code == 404 and "error" in response.json()


@pytest.mark.parametrize("path, query, field", [
    ("/api/v1/indicators", {"territory": "110000"}, "territory"),
    ("/api/v1/indicators.csv", {"as_of": "31/12/2024"}, "as_of"),
    ("/api/v1/indicators/rd_intensity/history", {"series": "yesterday"}, "series"),
    ("/api/v1/platforms", {"level": "cosmic"}, "level"),
    ("/api/v1/platforms", {"cursor": "not-a-token"}, "cursor"),
])
def test_bad_parameter_is_400_naming_the_field(feed, path, query, field):
    response = feed.get(path, params=query)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field and response.json()["error"]["reason"]


def test_platforms_feed_shows_only_accredited_platforms_and_public_fields(feed):
    rows = feed.get("/api/v1/platforms").json()["platforms"]
    assert sorted(r["id"] for r in rows) == [f"plt-{n:03d}" for n in range(1, 8)]
    assert set(rows[0]) == {"id", "name", "kind", "level", "district", "host_organisation",
                            "industry_cluster", "accredited_since", "status"}
    assert rows[0]["accredited_since"] == "2022-02-01"


def test_platform_pages_follow_the_cursor_to_the_end(feed):
    seen, cursor = [], None
    for _ in range(10):
        page = feed.get("/api/v1/platforms", params={"limit": "3", **({"cursor": cursor} if cursor else {})}).json()
        seen += [r["id"] for r in page["platforms"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"plt-{n:03d}" for n in range(1, 8)]


def test_platforms_csv_has_every_accredited_row_of_the_district_and_no_secrets(feed):
    response = feed.get("/api/v1/platforms.csv", params={"district": "440703"})
    rows = _csv(response)
    assert rows[0] == ["id", "name", "kind", "level", "district", "host_organisation",
                       "industry_cluster", "accredited_since", "status"]
    assert [r[0] for r in rows[1:]] == ["plt-001", "plt-003", "plt-005", "plt-007"]
    assert "SECRETCODE" not in response.text and "plt-008" not in response.text


def test_matching_etag_gets_304_and_a_changed_query_does_not(feed):
    first = feed.get("/api/v1/platforms")
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = feed.get("/api/v1/platforms", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = feed.get("/api/v1/platforms", params={"district": "440704"},
                     headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_index_and_dcat_catalog_describe_both_feeds(feed):
    index = feed.get("/").json()
    assert {d["id"] for d in index["datasets"]} == {"indicators", "platforms"}
    catalog = feed.get("/catalog.json").json()
    assert catalog["@type"] == "dcat:Catalog"
    datasets = catalog["dcat:dataset"]
    assert [d["@type"] for d in datasets] == ["dcat:Dataset", "dcat:Dataset"]
    media = {x["dcat:mediaType"] for d in datasets for x in d["dcat:distribution"]}
    assert media == {"application/json", "text/csv"}
    assert "江门市科学技术局" in repr(catalog["dct:publisher"])
    assert catalog["dct:license"].startswith("https://creativecommons.org/")


def test_metrics_count_requests_by_route_template_not_raw_path(feed):
    feed.get("/api/v1/indicators/rd_intensity")
    feed.get("/api/v1/indicators/not_there")
    text = feed.get("/metrics").text
    counted = {(s.labels["route"], s.labels["code"]): s.value
               for family in text_string_to_metric_families(text)
               for s in family.samples if s.name == "yinling_opendata_requests_total"}
    assert counted[("/api/v1/indicators/{indicator_id}", "200")] >= 1
    assert counted[("/api/v1/indicators/{indicator_id}", "404")] >= 1
    assert "not_there" not in text
    assert feed.get("/healthz").json() == {"status": "ok"}


def test_a_backend_that_is_down_gives_503(settings):
    down = replace(settings, ports={**settings.ports, "platforms.grpc": free_port()})
    server, thread, url = _serve_feed(down)
    try:
        response = httpx.get(f"{url}/api/v1/platforms", timeout=10)
        assert response.status_code == 503
        assert "unavailable" in response.json()["error"]["reason"]
        assert httpx.get(f"{url}/api/v1/indicators", timeout=10).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)

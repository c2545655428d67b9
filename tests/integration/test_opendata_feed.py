"""The open-data feed over real HTTP, in front of real gRPC servers (tests/opendata_fakes.py)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from opendata_fakes import CHANGES, INDICATORS, PageDom, backend_settings, running_feed
from promtool import check_metrics
from services.opendata.formatting import CHANGE_COLUMNS, HISTORY_COLUMNS
from yinling.broker import free_port
from yinling.config import Settings


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with backend_settings() as settings:
        yield settings


@pytest.fixture(scope="module")
def feed(settings: Settings) -> Iterator[httpx.Client]:
    with running_feed(settings) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


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
    ("/api/v1/indicator-changes", {"after": "-1"}, "after"),
    ("/api/v1/indicator-changes", {"after": "latest"}, "after"),
    ("/api/v1/indicator-changes", {"limit": "5001"}, "limit"),
    ("/api/v1/indicator-changes", {"indicator": "Not A Code"}, "indicator"),
    ("/api/v1/indicator-changes", {"indicator": ["rd_intensity", "perpetual_motion"]}, "indicator"),
    ("/api/v1/indicator-changes.csv", {"territory": "110000"}, "territory"),
    ("/api/v1/indicators/rd_intensity/history.csv", {"series": "yesterday"}, "series"),
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


FEEDS = {"indicators", "platforms", "indicator-changes", "indicator-history"}


def test_index_and_dcat_catalog_describe_every_feed(feed):
    index = feed.get("/").json()
    assert {d["id"] for d in index["datasets"]} == FEEDS
    urls = {d["id"]: (d["json"], d["csv"]) for d in index["datasets"]}
    assert urls["indicator-changes"][1].endswith("/api/v1/indicator-changes/complete.csv")
    assert {d["id"] for d in index["datasets"] if "xlsx" in d} == FEEDS - {"indicator-history"}
    assert urls["indicator-history"][1].endswith("/api/v1/indicators/{indicator_id}/history.csv")
    assert index["catalogs"]["dcat_ap_turtle"].endswith("/catalog.ttl")
    catalog = feed.get(index["catalog"])   # the DCAT-AP catalogue: tests/.../test_opendata_catalogs.py
    assert catalog.status_code == 200 and "dcat:Catalog" in catalog.text


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


def test_health_checks_and_scrapes_are_not_counted_as_requests(feed):
    for _ in range(3):
        assert feed.get("/healthz").status_code == 200
        assert feed.get("/metrics").status_code == 200
    feed.get("/api/v1/indicators")
    routes = {s.labels["route"] for family in text_string_to_metric_families(feed.get("/metrics").text)
              for s in family.samples if s.name == "yinling_opendata_requests_total"}
    assert "/api/v1/indicators" in routes
    assert not routes & {"/healthz", "/metrics"}


def test_the_feed_scrape_passes_promtool_check_metrics(feed):
    feed.get("/api/v1/indicators")
    assert check_metrics(feed.get("/metrics").text) == ""


def test_a_backend_that_is_down_gives_503(settings):
    down = replace(settings, ports={**settings.ports, "platforms.grpc": free_port()})
    with running_feed(down) as url:
        response = httpx.get(f"{url}/api/v1/platforms", timeout=10)
        assert response.status_code == 503
        assert "unavailable" in response.json()["error"]["reason"]
        assert httpx.get(f"{url}/api/v1/indicators", timeout=10).status_code == 200


def test_a_browser_gets_the_indicator_page_and_json_clients_the_index(feed):
    page = feed.get("/", params={"territory": "440704"}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    dom = PageDom(page.text)
    assert dom.selected("territory") == ["440704"]
    assert len(dom.body_rows()) == len(INDICATORS)
    index = feed.get("/", headers={"Accept": "application/json"})
    assert {d["id"] for d in index.json()["datasets"]} == FEEDS
    assert feed.get("/api/v1").json() == index.json()


def test_a_bad_page_query_shows_the_reason_on_the_page_with_status_400(feed):
    page = feed.get("/", params={"territory": "110000"}, headers={"Accept": "text/html"})
    assert page.status_code == 400 and "unknown territory" in page.text
    assert PageDom(page.text).selected("territory") == ["440700"]


def _conforms(value: str, field: dict) -> bool:
    if value == "":
        return not field.get("constraints", {}).get("required")
    if "enum" in field.get("constraints", {}) and value not in field["constraints"]["enum"]:
        return False
    checks = {"number": float, "integer": int, "date": date.fromisoformat,
              "datetime": lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))}
    try:
        checks.get(field["type"], str)(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name, path", [
    ("indicators", "/api/v1/indicators.csv"),
    ("platforms", "/api/v1/platforms.csv"),
    ("indicator-changes", "/api/v1/indicator-changes/complete.csv"),
    ("indicator-history-rd-intensity", "/api/v1/indicators/rd_intensity/history.csv"),
])
def test_data_package_schema_matches_the_served_csv(feed, name, path):
    package = feed.get("/datapackage.json").json()
    resource = next(r for r in package["resources"] if r["name"] == name)
    assert resource["path"] == str(feed.base_url).rstrip("/") + path
    fields = resource["schema"]["fields"]
    rows = _csv(feed.get(path))
    assert rows[0] == [f["name"] for f in fields]
    assert len(rows) > 1
    for row in rows[1:]:
        bad = [(f["name"], v) for f, v in zip(fields, row, strict=True) if not _conforms(v, f)]
        assert not bad, bad


def test_data_package_has_a_history_file_for_every_indicator(feed):
    names = {r["name"] for r in feed.get("/datapackage.json").json()["resources"]}
    assert {n for n in names if n.startswith("indicator-history-")} == {
        "indicator-history-" + i.replace("_", "-") for i in INDICATORS}


def test_following_next_in_pages_of_two_gives_every_change_once_in_cursor_order(feed):
    seen, url = [], "/api/v1/indicator-changes?after=0&limit=2"
    for _ in range(10):
        page = feed.get(url).json()
        assert len(page["changes"]) <= 2
        seen += [c["cursor"] for c in page["changes"]]
        if not page["changes"]:
            break
        assert page["next_cursor"] == page["changes"][-1]["cursor"]
        url = page["next"]
    assert seen == [c.cursor for c in CHANGES]
    assert page["next_cursor"] == CHANGES[-1].cursor and "after=12" in page["next"]


def test_a_change_shows_what_changed_when_and_in_which_series_without_its_cause(feed):
    response = feed.get("/api/v1/indicator-changes", params={"after": "4", "limit": "1"})
    body = response.json()
    assert body["columns"] == list(CHANGE_COLUMNS)
    assert body["changes"] == [{
        "cursor": 7, "plan_id": "jiangmen-2022-2024", "indicator_id": "provincial_platforms",
        "territory": "440703", "series": "2023-12-31", "as_of": "2023-12-31", "period": "",
        "value": "616", "suppressed": False, "previous_value": "12", "unit": "platforms", "status": "no_target",
        "computed_at": ""}]
    assert body["next"].endswith("/api/v1/indicator-changes?after=7&limit=1")
    assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
    assert "secret-event" not in response.text


def test_changes_are_filtered_by_repeated_indicator_and_territory(feed):
    body = feed.get("/api/v1/indicator-changes", params={
        "indicator": ["provincial_platforms", "rd_intensity"], "territory": "440700"}).json()
    assert [c["cursor"] for c in body["changes"]] == [3, 4, 12]
    assert "indicator=provincial_platforms&indicator=rd_intensity&territory=440700" in body["next"]


def test_changes_csv_pages_carry_the_next_cursor_in_the_link_header(feed):
    response = feed.get("/api/v1/indicator-changes.csv", params={"after": "3", "limit": "2"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0] == list(CHANGE_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["4", "7"]
    assert response.headers["x-next-cursor"] == "7"
    assert "/api/v1/indicator-changes.csv?after=7&limit=2>" in response.headers["link"]
    empty = feed.get("/api/v1/indicator-changes.csv", params={"after": "12"})
    assert _csv(empty) == [list(CHANGE_COLUMNS)] and empty.headers["x-next-cursor"] == "12"


def test_history_csv_is_the_json_history_as_rows(feed):
    query = {"territory": "440703", "series": "2024-12-31"}
    points = feed.get("/api/v1/indicators/provincial_platforms/history", params=query).json()["points"]
    response = feed.get("/api/v1/indicators/provincial_platforms/history.csv", params=query)
    rows = _csv(response)
    assert rows[0] == list(HISTORY_COLUMNS)
    assert rows[1:] == [[str(p[c]) for c in HISTORY_COLUMNS] for p in points]
    assert len(rows) == 3 and "secret-event" not in response.text

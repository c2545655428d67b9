"""A real Prometheus (Debian's server binary, put into the venv by `make promtool`) scrapes a
running `yinling up` with the jobs and alert rules of deploy/prometheus, only the targets
moved to this platform's free ports: every target up, every documented family present on the
processes that own it and on no other, every alert rule evaluated without error.

One platform start, with no demo data: one platform registered through the API (so events
flow through the relay and the worker) and one request to the feed."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from platform_process import PlatformProcess

from monitoring import PROMETHEUS, REPO, alert_rules, dashboard_exprs, load, metric_names, port_key
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

pytestmark = pytest.mark.slow

GRPC = {"yinling_grpc_requests_total", "yinling_grpc_request_seconds"}
RELAY = {"yinling_outbox_backlog", "yinling_outbox_dead_letters", "yinling_relay_failures_total",
         "yinling_relay_publish_seconds"}
CONSUMER = {"yinling_events_consumed_total", "yinling_consumer_lag",
            "yinling_indicator_update_latency_seconds",
            "yinling_indicator_last_update_timestamp_seconds"}
FEED = {"yinling_opendata_requests_total", "yinling_opendata_request_seconds"}
# Present once something happened (an event published, a dead letter, a repeat, a refused row).
PUBLISHED, DEAD_LETTERED = "yinling_events_published_total", "yinling_outbox_dead_lettered_total"
DOMAIN = ("platforms", "enterprises", "talent", "finance")
# job -> (families it must show here, families it may show once they happen).
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    **{f"yinling-{s}": (GRPC | RELAY, {PUBLISHED, DEAD_LETTERED}) for s in DOMAIN},
    "yinling-platforms": (GRPC | RELAY | {PUBLISHED}, {DEAD_LETTERED}),  # it got the registration
    "yinling-ingest": (GRPC | RELAY, {PUBLISHED, DEAD_LETTERED, "yinling_ingest_rows_refused_total"}),
    "yinling-indicators": (GRPC, set()),
    "yinling-indicators-worker": (RELAY | CONSUMER,
                                  {PUBLISHED, DEAD_LETTERED, "yinling_events_duplicate_total"}),
    "yinling-opendata": (FEED, set()),
}


def scrape_config(up: PlatformProcess, prometheus_port: int) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with every target at this platform's ports."""
    config = load(PROMETHEUS / "prometheus.yml")
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(PROMETHEUS / name) for name in config["rule_files"]]
    for job in config["scrape_configs"]:
        name = job["job_name"]
        target = up.address(port_key(name)) if name in EXPECTED else f"127.0.0.1:{prometheus_port}"
        job["static_configs"] = [{"targets": [target]}]
    return config


def wait_for(what: str, check: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.5)


class Prometheus:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.base}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as reply:
            answer = json.load(reply)
        assert answer["status"] == "success", answer
        return answer["data"]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/-/ready", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def targets(self) -> dict[str, dict[str, Any]]:
        return {t["labels"]["job"]: t for t in self.api("targets", state="active")["activeTargets"]}

    def families(self) -> dict[str, set[str]]:
        """Per job, the yinling_ families Prometheus holds now (histograms by their base name;
        the `_created` companions of counters and histograms left out)."""
        found: dict[str, set[str]] = {job: set() for job in EXPECTED}
        series = self.api("query", query='count by (job, __name__) '
                                         '({__name__=~"yinling_.+", __name__!~".+_created"})')
        for one in series["result"]:
            name = re.sub(r"_(bucket|count|sum)$", "", one["metric"]["__name__"])
            found.setdefault(one["metric"]["job"], set()).add(name)
        return found


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Prometheus, PlatformProcess]]:
    binary = Path(sys.executable).with_name("prometheus")
    assert binary.exists(), "the prometheus binary is missing: `make test` installs it (make promtool)"
    here = tmp_path_factory.mktemp("prometheus")
    up = PlatformProcess(here / "platform").start()
    server = None
    try:
        with grpc.insecure_channel(up.address("platforms.grpc")) as channel:
            PlatformRegistryStub(channel).Register(pb.RegisterPlatformRequest(
                name=f"江门监控测试研究院 {uuid.uuid4().hex[:6]}", kind="new_rd_institution",
                host_organisation="五邑大学", district="440703", registered_on="2023-03-01"),
                metadata=bearer("dev-steward"), timeout=10)
        up.get("opendata.http", "/api/v1/indicators")
        port = free_port()
        (here / "prometheus.yml").write_text(yaml.safe_dump(scrape_config(up, port)))
        with open(here / "prometheus.out", "wb") as out:
            server = subprocess.Popen(
                [str(binary), f"--config.file={here / 'prometheus.yml'}",
                 f"--storage.tsdb.path={here / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        prom = Prometheus(port)
        wait_for("Prometheus ready", prom.ready, 30)
        yield prom, up
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        up.stop()


def test_prometheus_finds_every_process_of_the_platform_up(prometheus) -> None:  # type: ignore[no-untyped-def]
    prom, _ = prometheus
    wait_for("every target scraped", lambda: len(t := prom.targets()) == len(EXPECTED) + 1 and all(
        one["health"] != "unknown" for one in t.values()), 30)
    targets = prom.targets()
    assert set(targets) == {*EXPECTED, "prometheus"}
    assert {job: (t["health"], t["lastError"]) for job, t in targets.items()} == {
        job: ("up", "") for job in targets}


def test_every_documented_family_is_present_on_its_own_processes_only(prometheus) -> None:  # type: ignore[no-untyped-def]
    prom, _ = prometheus

    def complete() -> bool:
        found = prom.families()
        return all(must <= found[job] for job, (must, _) in EXPECTED.items())

    try:
        wait_for("every family scraped", complete, 45)
    finally:
        found = prom.families()
    for job, (must, may) in EXPECTED.items():
        assert must <= found[job], f"{job} lacks {sorted(must - found[job])}"
        assert found[job] <= must | may, f"{job} exports others' {sorted(found[job] - must - may)}"


def test_the_families_are_those_the_readme_documents(prometheus) -> None:  # type: ignore[no-untyped-def]
    operations = (REPO / "README.md").read_text().split("## Operating it", 1)[1]
    every = set().union(*(must | may for must, may in EXPECTED.values()))
    assert {f for f in every if f"`{f}" not in operations} == set()


def test_every_alert_rule_is_loaded_and_evaluates_without_error(prometheus) -> None:  # type: ignore[no-untyped-def]
    prom, _ = prometheus
    wanted = set(alert_rules())

    def rules() -> dict[str, dict[str, Any]]:
        return {r["name"]: r for g in prom.api("rules")["groups"] for r in g["rules"]}

    wait_for("every rule evaluated", lambda: all(
        not r.get("lastEvaluation", "0001").startswith("0001")  # Go's zero time: never
        for r in rules().values()), 20)
    loaded = rules()
    assert set(loaded) == wanted
    assert {name: (r["health"], r.get("lastError", "")) for name, r in loaded.items()} == {
        name: ("ok", "") for name in wanted}


def test_every_dashboard_query_runs_in_prometheus_and_its_gauges_find_data(prometheus) -> None:  # type: ignore[no-untyped-def]
    """Each panel's query as Grafana sends it ($__rate_interval as a fixed window) is valid
    PromQL and runs; the gauges, present from each process's start, already have data (a rate
    or increase over a family that exists only once something went wrong may find none)."""
    prom, _ = prometheus
    found = {expr: prom.api("query", query=expr.replace("$__rate_interval", "1m"))["result"]
             for expr in dashboard_exprs()}
    gauges = [e for e in found if not any(word in e for word in ("rate(", "increase(", "alertname)"))]
    assert {"yinling_outbox_backlog", "yinling_consumer_lag", "up"} <= set().union(
        *(metric_names(e) for e in gauges))
    assert [e for e in gauges if not found[e]] == []


def test_health_checks_and_scrapes_are_not_counted_as_requests(prometheus) -> None:  # type: ignore[no-untyped-def]
    """`yinling up` checked every service's health before it was ready and Prometheus scraped
    the feed's /metrics every second: the only requests counted are the test's own two."""
    prom, _ = prometheus
    wait_for("the feed scraped a few times", lambda: bool(prom.api(
        "query", query='count_over_time(up{job="yinling-opendata"}[1m]) >= 3')["result"]), 20)

    def counted(query: str) -> dict[tuple[str, ...], float]:
        return {tuple(r["metric"].values()): float(r["value"][1])
                for r in prom.api("query", query=query)["result"]}

    grpc_requests = counted("sum by (service, method) (yinling_grpc_requests_total) > 0")
    # The registration, and the feed's request: the latest change for its ETag, then the values.
    assert set(grpc_requests) == {("Register", "platforms"), ("LatestChange", "indicators"),
                                  ("List", "indicators")}
    assert grpc_requests[("Register", "platforms")] == 1.0
    assert counted("sum by (route) (yinling_opendata_requests_total)") == {
        ("/api/v1/indicators",): 1.0}

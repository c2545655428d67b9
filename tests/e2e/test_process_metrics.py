"""Each process exports only its own metric families, scraped from the real processes as
Prometheus would: a domain service (gRPC and outbox relay), the IndicatorService (gRPC only)
and the indicators worker (consumer and relay, no gRPC), against the real broker."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from platform_process import free_ports, metric_samples, port_env_name
from prometheus_client.parser import text_string_to_metric_families

from promtool import check_metrics
from yinling.auth import bearer
from yinling.topics import SOURCE_TOPICS
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
GRPC = {"yinling_grpc_requests", "yinling_grpc_request_seconds"}
RELAY = {"yinling_events_published", "yinling_outbox_backlog", "yinling_relay_publish_seconds"}
CONSUMER = {"yinling_events_consumed", "yinling_events_duplicate",
            "yinling_indicator_update_latency_seconds"}
COMMANDS = {"platforms": ["serve", "platforms"], "indicators": ["serve", "indicators"],
            "indicators-worker": ["worker"]}


def scrape(ports: dict[str, int], process: str) -> str:
    url = f"http://127.0.0.1:{ports[f'{process}.metrics']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as reply:
        return str(reply.read().decode())


def families(ports: dict[str, int], process: str) -> set[str]:
    return {f.name.removesuffix("_total") for f in text_string_to_metric_families(scrape(ports, process))
            if f.name.startswith("yinling_")}


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, grpc.RpcError):
            pass
        time.sleep(0.5)
    raise TimeoutError(what)


@pytest.fixture(scope="module")
def ports(broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("processes")
    chosen = free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINLING_")}
    env.update({port_env_name(k): str(p) for k, p in chosen.items()})
    env.update(YINLING_DATA_DIR=str(data), YINLING_BOOTSTRAP_SERVERS=broker.bootstrap,
               YINLING_LOG_LEVEL="warning", YINLING_INDICATORS_GROUP=f"metrics-{uuid.uuid4().hex[:8]}")
    started = []
    try:
        for name, args in COMMANDS.items():
            with open(data / f"{name}.out", "wb") as out:
                started.append(subprocess.Popen([sys.executable, "-m", "yinling", *args], cwd=REPO,
                                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL))
        for name in COMMANDS:
            wait_for(f"{name} /metrics", lambda n=name: isinstance(families(chosen, n), set))
        yield chosen
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def after_one_event(ports: dict[str, int]) -> dict[str, int]:
    """A platform registered through the API, and consumed by the worker."""
    with grpc.insecure_channel(f"127.0.0.1:{ports['platforms.grpc']}") as channel:
        wait_for("platforms serving", lambda: health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=2).status == health_pb2.HealthCheckResponse.SERVING)
        PlatformRegistryStub(channel).Register(pb.RegisterPlatformRequest(
            name="江门指标计量研究院", kind="new_rd_institution", host_organisation="五邑大学",
            district="440703", registered_on="2022-03-01"), metadata=bearer("dev-steward"), timeout=10)
    wait_for("the worker consumed the event",   # a sample, not only the family (declared at start)
             lambda: "yinling_events_consumed_total{" in scrape(ports, "indicators-worker"))
    return ports


def test_a_domain_service_exports_grpc_and_relay_families_only(after_one_event: dict[str, int]):
    exported = families(after_one_event, "platforms")
    assert GRPC | RELAY <= exported
    assert not exported & CONSUMER


def test_the_indicator_api_exports_grpc_families_only(after_one_event: dict[str, int]):
    exported = families(after_one_event, "indicators")
    assert GRPC <= exported
    assert not exported & (RELAY | CONSUMER)


def test_the_worker_exports_consumer_and_relay_families_and_no_grpc(after_one_event: dict[str, int]):
    exported = families(after_one_event, "indicators-worker")
    assert {"yinling_events_consumed", "yinling_indicator_update_latency_seconds",
            "yinling_outbox_backlog"} <= exported
    assert not exported & GRPC


def test_the_worker_reports_its_lag_per_source_topic_and_when_it_last_updated(
        after_one_event: dict[str, int]):
    def lags() -> dict[str, float]:
        samples = metric_samples(scrape(after_one_event, "indicators-worker"), "yinling_consumer_lag")
        return {labels["topic"]: value for labels, value in samples}

    # The registration's event consumed and committed: nothing waits on any source topic.
    wait_for("the worker's lag back to 0 on every source topic",
             lambda: lags() == {spec.name: 0.0 for spec in SOURCE_TOPICS}, timeout_s=30)
    [(_, updated)] = metric_samples(scrape(after_one_event, "indicators-worker"),
                                    "yinling_indicator_last_update_timestamp_seconds")
    assert time.time() - 300 < updated <= time.time()


@pytest.mark.parametrize("process", sorted(COMMANDS))
def test_every_scrape_passes_promtool_check_metrics(after_one_event: dict[str, int], process: str):
    assert check_metrics(scrape(after_one_event, process)) == ""

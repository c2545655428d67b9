"""`yinling status`: every component of a running platform in one table.

Each process is asked what an operator would ask it: the gRPC services their standard health
check (`grpc.health.v1`), the open-data feed its `/healthz`, the broker a metadata request;
and each process's `/metrics` gives its outbox backlog and dead letters, the worker's consumer
lag and the time it last applied events to the indicators. A component is down when its
health check or its /metrics does not answer; then the command exits 1.
"""
from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from yinling.broker import wait_until_ready
from yinling.config import Settings

TIMEOUT_S = 3.0
STALE_AFTER_S = 300


@dataclass(frozen=True)
class Component:
    name: str
    health: str          # "grpc:<port key>", "http:<port key>" or "kafka"
    metrics: str | None  # the port key of its /metrics, None if it has none


# In the order a change travels: broker, registries and gateway, worker, readers.
COMPONENTS = (
    Component("broker", "kafka", None),
    *(Component(name, f"grpc:{name}.grpc", f"{name}.metrics")
      for name in ("platforms", "enterprises", "talent", "finance", "ingest")),
    Component("indicators-worker", "metrics", "indicators-worker.metrics"),
    Component("indicators", "grpc:indicators.grpc", "indicators.metrics"),
    Component("opendata", "http:opendata.http", "opendata.http"),
)


@dataclass
class Status:
    name: str
    up: bool
    health: str                       # what the health check answered, or why it failed
    backlog: float | None = None      # yinling_outbox_backlog
    dead_letters: float | None = None  # yinling_outbox_dead_letters
    consumer_lag: float | None = None  # yinling_consumer_lag, summed over topics
    indicators_updated: float | None = None  # unix time; 0 = never
    problems: list[str] = field(default_factory=list)


def grpc_health(address: str) -> str:
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                          timeout=TIMEOUT_S)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


def http_health(url: str) -> str:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as reply:
        return f"HTTP {reply.status}"


def scrape(url: str) -> dict[str, float]:
    """Each family's samples summed over their labels (histogram parts left out)."""
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as reply:
        text = reply.read().decode()
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == family.name:
                sums[family.name] = sums.get(family.name, 0.0) + sample.value
    return sums


def _reason(exc: BaseException) -> str:
    """Why a check failed, in a few words."""
    if isinstance(exc, grpc.RpcError):
        code = exc.code()  # type: ignore[attr-defined]
        return (f"no answer within {TIMEOUT_S:g} s" if code is grpc.StatusCode.DEADLINE_EXCEEDED
                else f"unreachable ({code.name})")
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, TimeoutError | socket.timeout):
        return f"no answer within {TIMEOUT_S:g} s"
    return f"unreachable ({type(cause).__name__}: {cause})"[:120]


def check(component: Component, settings: Settings) -> Status:
    status = Status(component.name, up=True, health="")
    kind, _, key = component.health.partition(":")
    try:
        if kind == "kafka":
            wait_until_ready(settings.bootstrap_servers or settings.address("broker"),
                             timeout_s=TIMEOUT_S)   # a metadata request
            status.health = "answers"
        elif kind == "grpc":
            status.health = grpc_health(settings.address(key))
            status.up = status.health == "SERVING"
        elif kind == "http":
            status.health = http_health(f"http://{settings.address(key)}/healthz")
    except Exception as exc:  # noqa: BLE001 - whatever it is, the component is down; say why
        status.up, status.health = False, _reason(exc)
    if component.metrics is None:
        return status
    try:
        sums = scrape(f"http://{settings.address(component.metrics)}/metrics")
    except Exception as exc:  # noqa: BLE001 - as above
        if kind == "metrics":
            status.health = _reason(exc)
        elif status.up:  # answers its health check, yet not its /metrics: say which
            status.problems.append(f"/metrics {_reason(exc)}")
        status.up = False
        return status
    if kind == "metrics":
        status.health = "/metrics answers"
    status.backlog = sums.get("yinling_outbox_backlog")
    status.dead_letters = sums.get("yinling_outbox_dead_letters")
    status.consumer_lag = sums.get("yinling_consumer_lag")
    status.indicators_updated = sums.get("yinling_indicator_last_update_timestamp_seconds")
    if status.dead_letters:
        status.problems.append(f"{status.dead_letters:.0f} dead letters: yinling dead-letters "
                               f"{component.name.removesuffix('-worker')}")
    if stale(status, time.time()):
        status.problems.append(f"events wait (consumer lag {status.consumer_lag:.0f}) and none was "
                               f"applied for {STALE_AFTER_S // 60} minutes")
    return status


def stale(status: Status, now: float) -> bool:
    """As the YinlingIndicatorsStale alert: events wait, and none was applied for a while."""
    return bool(status.consumer_lag) and status.indicators_updated is not None \
        and now - status.indicators_updated > STALE_AFTER_S


def check_all(settings: Settings,
              components: tuple[Component, ...] = COMPONENTS) -> list[Status]:
    """Every component at once: a platform that is down answers in one timeout, not eight."""
    with ThreadPoolExecutor(max_workers=len(components)) as pool:
        return list(pool.map(lambda c: check(c, settings), components))


def _count(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _freshness(stamp: float | None, now: float) -> str:
    if stamp is None:
        return "-"
    if stamp == 0:
        return "no events yet"
    moment = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{moment} ({max(0.0, now - stamp):,.0f} s ago)"


HEADERS = ("component", "state", "health", "outbox backlog", "dead letters", "consumer lag",
           "indicators updated")


def table(statuses: list[Status], now: Callable[[], float] = time.time) -> str:
    at = now()
    rows = [HEADERS] + [(s.name, "up" if s.up else "DOWN", s.health, _count(s.backlog),
                         _count(s.dead_letters), _count(s.consumer_lag),
                         _freshness(s.indicators_updated, at)) for s in statuses]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    notes = [f"{s.name}: {p}" for s in statuses for p in s.problems]
    return "\n".join(lines + ([""] + notes if notes else []))


def as_records(statuses: list[Status]) -> list[dict[str, object]]:
    return [asdict(s) for s in statuses]

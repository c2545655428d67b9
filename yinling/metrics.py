"""Prometheus metrics of the platform's processes: names in base units, counters end in
_total, labels of bounded cardinality (topic, event type, method, status code, service).

Each process exports only the families it uses. The families below are not registered
when this module is imported; a family joins the process's /metrics when the process
declares it (`expose`, called by the component that owns it: the gRPC server, the outbox
relay's wiring) or when it is first used (`.labels()`, `.observe()`). So a worker shows no
gRPC histograms and an API server no consumer counters.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar


class _InUse(Collector):
    """The process's families: collected only once declared or used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: dict[str, MetricWrapperBase] = {}
        self._used: set[str] = set()

    def add(self, family: MetricWrapperBase) -> None:
        self._families[family._name] = family

    def mark(self, name: str) -> None:
        if name not in self._used:
            with self._lock:
                self._used.add(name)

    def used(self) -> set[str]:
        return set(self._used)

    def collect(self) -> Iterator[Any]:
        for name, family in list(self._families.items()):
            if name in self._used:
                yield from family.collect()


IN_USE = _InUse()
REGISTRY.register(IN_USE)


class _Counter(Counter):
    def labels(self, *values: Any, **labels: Any) -> Any:
        IN_USE.mark(self._name)
        return super().labels(*values, **labels)

    def inc(self, amount: float = 1, exemplar: dict[str, str] | None = None) -> None:
        IN_USE.mark(self._name)
        super().inc(amount, exemplar)


class _Gauge(Gauge):
    def labels(self, *values: Any, **labels: Any) -> Any:
        IN_USE.mark(self._name)
        return super().labels(*values, **labels)

    def set(self, value: float) -> None:
        IN_USE.mark(self._name)
        super().set(value)


class _Histogram(Histogram):
    def labels(self, *values: Any, **labels: Any) -> Any:
        IN_USE.mark(self._name)
        return super().labels(*values, **labels)

    def observe(self, amount: float, exemplar: dict[str, str] | Exemplar | None = None) -> None:
        IN_USE.mark(self._name)
        super().observe(amount, exemplar)  # type: ignore[arg-type]


def _family(family: MetricWrapperBase) -> Any:
    IN_USE.add(family)
    return family


EVENTS_PUBLISHED = _family(_Counter(
    "yinling_events_published_total", "Events published to Kafka", ["service", "topic", "type"],
    registry=None))
EVENTS_CONSUMED = _family(_Counter(
    "yinling_events_consumed_total", "Events consumed from Kafka", ["service", "topic", "type"],
    registry=None))
EVENTS_DUPLICATE = _family(_Counter(
    "yinling_events_duplicate_total", "Events consumed again and ignored (redelivery)",
    ["service", "topic"], registry=None))
OUTBOX_BACKLOG = _family(_Gauge(
    "yinling_outbox_backlog", "Outbox records not yet published", ["service"], registry=None))
OUTBOX_DEAD_LETTERS = _family(_Gauge(
    "yinling_outbox_dead_letters", "Outbox records the broker refused for good, kept aside", ["service"],
    registry=None))
OUTBOX_DEAD_LETTERED = _family(_Counter(
    "yinling_outbox_dead_lettered_total", "Outbox records moved to the dead letters", ["service", "topic"],
    registry=None))
RELAY_FAILURES = _family(_Counter(
    "yinling_relay_failures_total",
    "Relay passes that failed (broker or database unavailable) and are retried", ["service"],
    registry=None))
CONSUMER_LAG = _family(_Gauge(
    "yinling_consumer_lag",
    "Records on the consumed topics not yet committed by this process's consumer group member",
    ["service", "topic"], registry=None))
INDICATOR_LAST_UPDATE = _family(_Gauge(
    "yinling_indicator_last_update_timestamp_seconds",
    "Unix time at which the worker last applied source events to the indicators (0: none yet)",
    registry=None))
INGEST_ROWS_REFUSED = _family(_Counter(
    "yinling_ingest_rows_refused_total", "Ingested rows the owning service refused for good", ["code"],
    registry=None))
RELAY_PUBLISH_SECONDS = _family(_Histogram(
    "yinling_relay_publish_seconds", "Time from outbox commit to broker acknowledgement", ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=None))
INDICATOR_UPDATE_SECONDS = _family(_Histogram(
    "yinling_indicator_update_latency_seconds", "Time from an event's ce_time to the indicator update",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60), registry=None))
GRPC_REQUESTS = _family(_Counter(
    "yinling_grpc_requests_total", "gRPC requests handled (health checks and reflection not counted)",
    ["service", "method", "code"], registry=None))
GRPC_SECONDS = _family(_Histogram(
    "yinling_grpc_request_seconds", "gRPC handling time", ["service", "method"], registry=None))

# What each kind of component exports, declared when it starts.
GRPC_SERVER = (GRPC_REQUESTS, GRPC_SECONDS)
OUTBOX_RELAY = (EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_DEAD_LETTERS, OUTBOX_DEAD_LETTERED,
                RELAY_PUBLISH_SECONDS, RELAY_FAILURES)
EVENT_CONSUMER = (EVENTS_CONSUMED, EVENTS_DUPLICATE, INDICATOR_UPDATE_SECONDS, CONSUMER_LAG,
                  INDICATOR_LAST_UPDATE)


def expose(families: Iterable[MetricWrapperBase]) -> None:
    """Declare families this process exports from its start, before their first use."""
    for family in families:
        IN_USE.mark(family._name)


def exported() -> set[str]:
    """Names of the families this process exports now."""
    return IN_USE.used()


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve /metrics from a background thread of this process."""
    start_http_server(port, addr=host)

"""Prometheus metrics shared by every process: names in base units, counters end in _total,
labels of bounded cardinality (topic, event type, method, status code, service)."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

EVENTS_PUBLISHED = Counter(
    "yinling_events_published_total", "Events published to Kafka", ["service", "topic", "type"]
)
EVENTS_CONSUMED = Counter(
    "yinling_events_consumed_total", "Events consumed from Kafka", ["service", "topic", "type"]
)
EVENTS_DUPLICATE = Counter(
    "yinling_events_duplicate_total", "Events consumed again and ignored (redelivery)", ["service", "topic"]
)
OUTBOX_BACKLOG = Gauge("yinling_outbox_backlog", "Outbox records not yet published", ["service"])
OUTBOX_DEAD_LETTERS = Gauge(
    "yinling_outbox_dead_letters", "Outbox records the broker refused for good, kept aside", ["service"]
)
OUTBOX_DEAD_LETTERED = Counter(
    "yinling_outbox_dead_lettered_total", "Outbox records moved to the dead letters", ["service", "topic"]
)
INGEST_ROWS_REFUSED = Counter(
    "yinling_ingest_rows_refused_total", "Ingested rows the owning service refused for good", ["code"]
)
RELAY_PUBLISH_SECONDS = Histogram(
    "yinling_relay_publish_seconds", "Time from outbox commit to broker acknowledgement", ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
INDICATOR_UPDATE_SECONDS = Histogram(
    "yinling_indicator_update_latency_seconds", "Time from an event's ce_time to the indicator update",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
GRPC_REQUESTS = Counter(
    "yinling_grpc_requests_total", "gRPC requests handled", ["service", "method", "code"]
)
GRPC_SECONDS = Histogram("yinling_grpc_request_seconds", "gRPC handling time", ["service", "method"])


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve /metrics from a background thread of this process."""
    start_http_server(port, addr=host)

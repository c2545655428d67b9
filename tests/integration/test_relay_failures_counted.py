"""A relay whose passes fail counts each one in yinling_relay_failures_total (alerts watch its
rate), from 0, and keeps retrying. Real SQLite, whose outbox table is missing: every pass
fails at its first read, before any broker is dialled."""
from __future__ import annotations

import time
import uuid

from yinling import metrics
from yinling.broker import free_port
from yinling.db import make_engine, make_sessionmaker
from yinling.relay import OutboxRelay


def failures(service: str) -> float:
    return float(metrics.RELAY_FAILURES.labels(service)._value.get())


def test_failed_relay_passes_are_counted_from_zero_and_retried(tmp_path) -> None:  # type: ignore[no-untyped-def]
    service = f"relay-failures-{uuid.uuid4().hex[:6]}"
    engine = make_engine(f"sqlite:///{tmp_path / 'no-outbox.db'}")
    relay = OutboxRelay(service, make_sessionmaker(engine), f"127.0.0.1:{free_port()}")
    relay.start()
    try:
        assert "yinling_relay_failures" in metrics.exported()
        deadline = time.monotonic() + 10
        while failures(service) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert failures(service) >= 3, "failed passes were not counted, or not retried"
    finally:
        relay.stop(timeout_s=2)
        engine.dispose()

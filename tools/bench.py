"""`make bench`: throughput and latency figures of the platform's hot paths, printed.

Each benchmark starts what it needs (an embedded broker, SQLite databases in a temporary
folder, real gRPC servers on free ports) and prints its figures; nothing is asserted.
"""
from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from yinling.broker import EmbeddedBroker, ensure_topics, free_port

BENCHMARKS: list[tuple[str, Callable[[EmbeddedBroker, Path], list[str]]]] = []


def benchmark(name: str):  # type: ignore[no-untyped-def]
    def register(fn):  # type: ignore[no-untyped-def]
        BENCHMARKS.append((name, fn))
        return fn
    return register


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, max {ordered[-1] * 1000:.1f} ms"


@benchmark("outbox relay: staged events published to the broker")
def bench_relay(broker: EmbeddedBroker, tmp: Path) -> list[str]:
    from yinling.db import create_schema, make_engine, make_sessionmaker
    from yinling.outbox import backlog, record_event
    from yinling.relay import OutboxRelay
    from yinling.topics import PLATFORM_EVENTS
    from yinling.v1 import platforms_pb2 as pb

    engine = make_engine(f"sqlite:///{tmp / 'relay.db'}")
    create_schema(engine, [])
    sessions = make_sessionmaker(engine)
    count = 10_000
    started = time.perf_counter()
    with sessions.begin() as session:
        for i in range(count):
            snapshot = pb.Platform(id=f"plt-{i % 500}", name=f"平台{i}", version=i // 500 + 1)
            record_event(session, topic=PLATFORM_EVENTS.name, key=snapshot.id, ce_type="bench",
                         source="/bench", subject=snapshot.id, payload=pb.PlatformChanged(platform=snapshot))
    staged = time.perf_counter() - started
    relay = OutboxRelay("bench", sessions, broker.bootstrap).start()
    started = time.perf_counter()
    while True:
        with sessions() as session:
            if backlog(session) == 0:
                break
        time.sleep(0.05)
    published = time.perf_counter() - started
    relay.stop()
    return [f"staged {count} events in one transaction: {count / staged:,.0f} events/s",
            f"published {count} events (idempotent producer, acks=all): {count / published:,.0f} events/s"]


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    only = set(sys.argv[1:])
    with tempfile.TemporaryDirectory() as folder:
        broker = EmbeddedBroker(port=free_port()).start()
        ensure_topics(broker.bootstrap)
        try:
            for name, fn in BENCHMARKS:
                if only and not any(o in name for o in only):
                    continue
                print(f"\n== {name}", flush=True)
                for line in fn(broker, Path(folder)):
                    print(f"   {line}", flush=True)
        finally:
            broker.stop()


if __name__ == "__main__":
    from tools import bench_services  # noqa: F401 - registers the service benchmarks

    main()

"""Benchmark of the outbox relay: staged events published to the broker."""
from __future__ import annotations

import time
from pathlib import Path

from tools.bench_harness import benchmark
from yinling.broker import EmbeddedBroker


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

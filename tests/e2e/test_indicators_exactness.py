"""Exactness of the indicators under failure: the worker process killed mid-stream, and the
broker frozen while writes go on through an outbox. Afterwards every value equals a
from-scratch computation over the newest snapshots, and an independent count by hand."""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from indicator_streams import (
    PLAN,
    expected_platform_counts,
    platform_stream,
    publish,
    start_worker,
    stop_worker,
    wait_until,
    worker_env,
)
from services.indicators.engine import compute_from_snapshots
from services.indicators.projection import ProcessedEvent
from services.indicators.runtime import IndicatorRuntime, open_runtime
from yinling.broker import EmbeddedBroker, ensure_topics, free_port
from yinling.config import Settings
from yinling.dates import today_in_city
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.outbox import record_event
from yinling.relay import OutboxRelay
from yinling.topics import PLATFORM_EVENTS
from yinling.v1 import platforms_pb2 as ppb

pytestmark = pytest.mark.slow


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of this test alone: its topics hold only this test's events, and it can be paused."""
    instance = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log").start()
    ensure_topics(instance.bootstrap)
    yield instance
    instance.resume()
    instance.stop()


@pytest.fixture
def reader(database_url: str, tmp_path: Path) -> Iterator[IndicatorRuntime]:
    runtime = open_runtime(Settings(data_dir=tmp_path, plan_path=PLAN), database_url)
    yield runtime
    runtime.close()


def processed(runtime: IndicatorRuntime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)


def assert_exact(runtime: IndicatorRuntime, latest: dict[str, ppb.Platform]) -> None:
    plan = runtime.plans[0]
    today = today_in_city()
    served = {(v.indicator_id, v.territory): v.value for v in runtime.engine.values(plan.id, None, today)}
    from_scratch = {(i.id, t): compute_from_snapshots(plan, latest.values(), t, today, i.id).value
                    for i in plan.indicators for t in plan.territories}
    assert served == from_scratch
    by_hand = expected_platform_counts(latest.values(), today)
    for indicator in ("provincial_platforms", "iur_centres", "gba_joint_labs", "hitech_zone_coverage"):
        for territory in plan.territories:
            assert served[(indicator, territory)] == str(by_hand.get((indicator, territory), 0)), \
                (indicator, territory)


def test_a_worker_killed_mid_stream_ends_with_every_value_exact(
        own_broker: EmbeddedBroker, reader: IndicatorRuntime, database_url: str, tmp_path: Path) -> None:
    stream = platform_stream(5000)
    distinct = len({e.id for e in stream.events})
    assert len(stream.events) == 5000 and distinct < 5000  # repeats are part of the stream
    env = worker_env(own_broker.bootstrap, database_url, tmp_path, "e2e-indicators")
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)

    def publish_slowly() -> None:
        for start in range(0, len(stream.events), 100):
            publish(own_broker.bootstrap, stream.events[start:start + 100])
            time.sleep(0.1)
    publisher = threading.Thread(target=publish_slowly, daemon=True)
    publisher.start()
    try:
        wait_until(lambda: processed(reader) >= 1500, 120, "1,500 events processed", worker, log)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        at_kill = processed(reader)
        assert at_kill < distinct  # the kill came in the middle of the stream
        worker = start_worker(env, log)
        publisher.join(120)
        wait_until(lambda: processed(reader) == distinct, 180, "every event processed", worker, log)
    finally:
        stop_worker(worker)
    assert_exact(reader, stream.latest)


def test_a_broker_frozen_for_30_s_loses_nothing_and_counts_nothing_twice(
        own_broker: EmbeddedBroker, reader: IndicatorRuntime, database_url: str, tmp_path: Path) -> None:
    stream = platform_stream(1200, seed=11, repeat_share=0)
    env = worker_env(own_broker.bootstrap, database_url, tmp_path, "e2e-indicators-frozen")
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    # A source service's side: state changes commit with their outbox rows; a relay publishes.
    source_db = make_engine(f"sqlite:///{tmp_path / 'platforms.db'}")
    create_schema(source_db, [])
    sessions = make_sessionmaker(source_db)
    relay = OutboxRelay("platforms-e2e", sessions, own_broker.bootstrap, poll_interval_s=0.2).start()
    written: list[str] = []

    def write_through_outbox() -> None:
        for env_ in stream.events:
            snapshot = ppb.PlatformChanged.FromString(env_.data)
            with sessions.begin() as session:
                row = record_event(session, topic=PLATFORM_EVENTS.name, key=env_.key, ce_type=env_.type,
                                   source=env_.source, subject=env_.subject, payload=snapshot,
                                   sequence=env_.sequence)
                written.append(row.event_id)
            relay.wake()
            time.sleep(0.02)
    writer = threading.Thread(target=write_through_outbox, daemon=True)
    try:
        writer.start()
        wait_until(lambda: processed(reader) >= 100, 120, "the first events processed", worker, log)
        own_broker.pause()
        try:
            time.sleep(30)  # the outage itself: writes go on meanwhile
            assert writer.is_alive() or len(written) == len(stream.events)
        finally:
            own_broker.resume()
        writer.join(120)
        assert len(written) == len(stream.events)
        wait_until(lambda: processed(reader) == len(written), 240, "every written event processed",
                   worker, log)
    finally:
        relay.stop()
        stop_worker(worker)
        source_db.dispose()
    assert_exact(reader, stream.latest)

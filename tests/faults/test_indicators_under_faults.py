"""Exactness of the indicators under failure: the worker process killed with SIGKILL five
times mid-stream, the broker frozen while writes go on through an outbox, and the broker
restarted (the embedded one comes back with an empty log). Afterwards every outbox event is on
its topic, and every value equals a from-scratch computation over the newest snapshots and an
independent count by hand."""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
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
from yinling.envelope import Envelope
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


def test_a_worker_killed_five_times_mid_stream_ends_with_every_value_exact(
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
    kills = []
    try:
        for share in (0.15, 0.3, 0.45, 0.6, 0.75):
            wait_until(lambda share=share: processed(reader) >= share * distinct, 120,
                       f"{share:.0%} of the events processed", worker, log)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            kills.append(processed(reader))
            worker = start_worker(env, log)
        publisher.join(120)
        wait_until(lambda: processed(reader) == distinct, 180, "every event processed", worker, log)
    finally:
        stop_worker(worker)
    assert len(kills) == 5 and kills[-1] < distinct   # every kill came in the middle of the stream
    assert_exact(reader, stream.latest)


def freeze_30_s(broker: EmbeddedBroker) -> None:
    broker.pause()
    try:
        time.sleep(30)   # the outage itself: writes go on meanwhile
    finally:
        broker.resume()


def restart(broker: EmbeddedBroker) -> None:
    """The embedded broker comes back empty (memory storage): relays publish every event of
    its topics again, and the worker reads them again and counts none twice."""
    broker.stop()
    time.sleep(3)   # writes go on meanwhile
    broker.start()
    ensure_topics(broker.bootstrap)   # as the supervisor does for a broker it starts


@pytest.mark.parametrize("outage", [freeze_30_s, restart], ids=["frozen-30-s", "restarted"])
def test_a_broker_outage_during_writes_loses_nothing_and_counts_nothing_twice(
        own_broker: EmbeddedBroker, reader: IndicatorRuntime, database_url: str, tmp_path: Path,
        outage: Callable[[EmbeddedBroker], None]) -> None:
    stream = platform_stream(1200, seed=11, repeat_share=0)
    env = worker_env(own_broker.bootstrap, database_url, tmp_path, "e2e-indicators-outage")
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
        outage(own_broker)
        assert writer.is_alive() or len(written) == len(stream.events)
        writer.join(120)
        assert len(written) == len(stream.events)
        wait_until(lambda: processed(reader) == len(written), 240, "every written event processed",
                   worker, log)
        on_topic = ce_ids_on(own_broker.bootstrap, PLATFORM_EVENTS.name)
        assert set(written) <= set(on_topic)
        print(f"{outage.__name__}: {len(on_topic) - len(set(on_topic))} duplicates by ce_id on the topic")
    finally:
        relay.stop()
        stop_worker(worker)
        source_db.dispose()
    assert_exact(reader, stream.latest)


def ce_ids_on(bootstrap: str, topic: str) -> list[str]:
    """The ce_id of every record the broker holds of the topic (read to the high watermark)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=3000)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return [Envelope.from_record(r.key, r.value, r.headers).id for r in consumer]
    finally:
        consumer.close()

"""Deviation 5: the embedded broker keeps nothing across a restart (memory storage, no
retention, no compaction), and a DeleteRecords request panics its connection handler.

Restarts need a broker of their own, so these tests always run the bundled Tansu binary:
they say whether the development broker still loses its topics. Workaround pinned here:
yinling.relay.OutboxRelay, started again, publishes every outbox event again when the
broker has no records of its topics (the outbox is the record).
"""
from __future__ import annotations

import time
from collections.abc import Callable

from google.protobuf.wrappers_pb2 import StringValue
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from sqlalchemy import select

from yinling.broker import EmbeddedBroker, ensure_topics
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.envelope import Envelope
from yinling.outbox import OutboxRecord, backlog, record_event
from yinling.relay import OutboxRelay
from yinling.topics import TopicSpec


def restart(broker: EmbeddedBroker) -> None:
    broker.stop()
    broker.start()  # same port, fresh process


def topics(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def ce_ids(bootstrap: str, topic: str, count: int) -> list[str]:
    """The ce_id header of the first `count` records of partition 0 (bounded wait)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        ids: list[str] = []
        deadline = time.monotonic() + 15
        while len(ids) < count and time.monotonic() < deadline:
            for batch in consumer.poll(200).values():
                ids.extend(Envelope.from_record(r.key, r.value, r.headers).id for r in batch)
        return ids
    finally:
        consumer.close()


def wait_for(condition: Callable[[], bool], limit_s: float = 15) -> bool:
    deadline = time.monotonic() + limit_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_broker_restart_loses_every_topic(own_broker, topic_name) -> None:
    ensure_topics(own_broker.bootstrap, [TopicSpec(topic_name, "k", "restart", partitions=1)])
    producer = KafkaProducer(bootstrap_servers=own_broker.bootstrap)
    producer.send(topic_name, b"kept?").get(timeout=10)
    producer.close()
    assert topic_name in topics(own_broker.bootstrap)
    restart(own_broker)
    # Kafka keeps its log on disk across a restart; the embedded broker runs memory storage.
    assert topic_name not in topics(own_broker.bootstrap)


def test_relay_publishes_every_event_again_after_a_broker_restart(
        own_broker, topic_name, tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    create_schema(engine, [])
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        for n in range(5):
            record_event(session, topic=topic_name, key="aggregate-1", ce_type="test.happened.v1",
                         source="/conformance", subject="aggregate-1",
                         payload=StringValue(value=f"event {n}"), sequence=n + 1)
    with sessions() as session:
        staged = list(session.scalars(select(OutboxRecord.event_id).order_by(OutboxRecord.id)))
    spec = TopicSpec(topic_name, "aggregate id", "restart", partitions=1)

    def unpublished() -> int:
        with sessions() as session:
            return backlog(session)

    def run_relay_until_published() -> list[str]:
        ensure_topics(own_broker.bootstrap, [spec])  # as yinling.service does at start
        relay = OutboxRelay("conformance", sessions, own_broker.bootstrap, poll_interval_s=0.1)
        relay.start()
        try:
            assert wait_for(lambda: unpublished() == 0)
            return ce_ids(own_broker.bootstrap, topic_name, len(staged))
        finally:
            relay.stop()

    assert run_relay_until_published() == staged
    restart(own_broker)
    assert run_relay_until_published() == staged  # same ce_ids, same order
    engine.dispose()


def test_a_running_relay_publishes_every_event_again_when_the_broker_restarts_under_it(
        own_broker, topic_name, tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    create_schema(engine, [])
    sessions = make_sessionmaker(engine)
    spec = TopicSpec(topic_name, "aggregate id", "restart", partitions=1)
    ensure_topics(own_broker.bootstrap, [spec])

    def stage(n: int) -> None:
        with sessions.begin() as session:
            record_event(session, topic=topic_name, key="aggregate-1", ce_type="test.happened.v1",
                         source="/conformance", subject="aggregate-1",
                         payload=StringValue(value=f"event {n}"), sequence=n + 1)

    def unpublished() -> int:
        with sessions() as session:
            return backlog(session)

    relay = OutboxRelay("conformance", sessions, own_broker.bootstrap, poll_interval_s=0.1).start()
    try:
        for n in range(5):
            stage(n)
        assert wait_for(lambda: unpublished() == 0)
        restart(own_broker)
        ensure_topics(own_broker.bootstrap, [spec])   # as the supervisor does for a new broker
        stage(5)   # the next write shows the relay that the log started again
        with sessions() as session:
            staged = list(session.scalars(select(OutboxRecord.event_id).order_by(OutboxRecord.id)))
        assert wait_for(lambda: unpublished() == 0 and set(ce_ids(own_broker.bootstrap, topic_name, 7)) ==
                        set(staged), 30)
    finally:
        relay.stop()
    engine.dispose()


def test_delete_records_moves_the_log_start(request, broker, kafka_flavour, expected,
                                            topic_name) -> None:
    # On Tansu the handler panics: never send this to the shared broker.
    target: EmbeddedBroker = broker if kafka_flavour == "kafka" else request.getfixturevalue(
        "own_broker")
    ensure_topics(target.bootstrap, [TopicSpec(topic_name, "k", "delete", partitions=1)])
    producer = KafkaProducer(bootstrap_servers=target.bootstrap)
    for n in range(3):
        producer.send(topic_name, str(n).encode()).get(timeout=10)
    producer.close()
    tp = TopicPartition(topic_name, 0)
    admin = KafkaAdminClient(bootstrap_servers=target.bootstrap, request_timeout_ms=5000)
    try:
        admin.delete_records({tp: 2})
        outcome: int | str = low_watermark(target.bootstrap, tp)
    except KafkaError as exc:
        outcome = type(exc).__name__
    finally:
        admin.close()
    assert outcome == expected(kafka=2, tansu="KafkaConnectionError")
    assert topic_name in topics(target.bootstrap)  # the broker itself survived


def low_watermark(bootstrap: str, tp: TopicPartition) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        return consumer.beginning_offsets([tp])[tp]
    finally:
        consumer.close()

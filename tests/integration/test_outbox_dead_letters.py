"""Poison never halts a stream (issue 7, findings 1 and 12): an event the broker refuses for
good is moved to the dead letters with the reason and the relay goes on behind it; the
backlog gauge tells the truth while the broker is stopped. Real broker, real SQLite."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from click.testing import CliRunner
from google.protobuf.wrappers_pb2 import StringValue
from kafka import KafkaConsumer, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from yinling.broker import EmbeddedBroker, ensure_topics, free_port
from yinling.cli import main
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.dead_letters import REASON_HEADER, DeadLetter
from yinling.envelope import Envelope
from yinling.outbox import OutboxRecord, record_event
from yinling.relay import OutboxRelay
from yinling.topics import DEAD_LETTERS, TopicSpec


def wait_for(condition: Callable[[], bool], limit_s: float = 30) -> bool:
    deadline = time.monotonic() + limit_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def outbox(tmp_path) -> sessionmaker:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    create_schema(engine, [])
    return make_sessionmaker(engine)


def stage(sessions: sessionmaker, topic: str, texts: list[str]) -> list[str]:
    with sessions.begin() as session:
        rows = [record_event(session, topic=topic, key="agg-1", ce_type="test.happened.v1",
                             source="/test", subject="agg-1", payload=StringValue(value=text),
                             sequence=n + 1) for n, text in enumerate(texts)]
        session.flush()
        return [r.event_id for r in rows]


def records(bootstrap: str, topic: str, until: Callable[[list], bool]) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        seen: list = []
        deadline = time.monotonic() + 20
        while not until(seen) and time.monotonic() < deadline:
            for batch in consumer.poll(200).values():
                seen.extend(batch)
        return seen
    finally:
        consumer.close()


def gauge(name: str, service: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service})


def test_an_event_too_large_for_the_broker_is_dead_lettered_and_later_events_go_on(broker, tmp_path):
    topic = f"yinling.test.poison.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [TopicSpec(topic, "k", "poison", partitions=1)])
    sessions = outbox(tmp_path)
    before, poison, after = stage(sessions, topic, ["before", "x" * 1_200_000, "after"])
    service = f"poison-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(service, sessions, broker.bootstrap, poll_interval_s=0.1).start()
    try:
        assert wait_for(lambda: gauge("yinling_outbox_backlog", service) == 0)
        on_topic = records(broker.bootstrap, topic, lambda seen: len(seen) >= 2)
        notices = records(broker.bootstrap, DEAD_LETTERS.name,
                          lambda seen: any(dict(r.headers)["ce_id"] == poison.encode() for r in seen))
        assert gauge("yinling_outbox_dead_letters", service) == 1
        later, = stage(sessions, topic, ["later still"])  # the relay keeps going
        final = records(broker.bootstrap, topic, lambda s: len(s) >= 3)
    finally:
        relay.stop()
    assert [Envelope.from_record(r.key, r.value, r.headers).id for r in on_topic] == [before, after]
    assert [Envelope.from_record(r.key, r.value, r.headers).id for r in final] == [before, after, later]
    with sessions() as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert session.scalar(select(OutboxRecord).where(OutboxRecord.event_id == poison)) is None
    assert letter.event_id == poison and letter.topic == topic and letter.announced
    assert "MessageSizeTooLargeError" in letter.reason and len(letter.reason) <= 503
    assert len(StringValue.FromString(letter.payload).value) == 1_200_000  # kept for operators
    notice = next(r for r in notices if dict(r.headers)["ce_id"] == poison.encode())
    assert b"MessageSizeTooLargeError" in dict(notice.headers)[REASON_HEADER]
    assert notice.value in (b"", None)


def test_an_event_the_producer_cannot_send_at_all_is_dead_lettered_too(broker, tmp_path):
    topic = f"yinling.test.poison.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [TopicSpec(topic, "k", "poison", partitions=1)])
    sessions = outbox(tmp_path)
    before, = stage(sessions, topic, ["before"])
    poison, = stage(sessions, "an illegal topic name!", ["lost"])
    after, = stage(sessions, topic, ["after"])
    service = f"poison-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(service, sessions, broker.bootstrap, poll_interval_s=0.1).start()
    try:
        assert wait_for(lambda: gauge("yinling_outbox_backlog", service) == 0)
        on_topic = records(broker.bootstrap, topic, lambda seen: len(seen) >= 2)
    finally:
        relay.stop()
    assert [Envelope.from_record(r.key, r.value, r.headers).id for r in on_topic] == [before, after]
    with sessions() as session:
        letter = session.scalars(select(DeadLetter)).one()
    assert letter.event_id == poison and letter.reason.startswith("ValueError")


def test_a_restarted_relay_does_not_try_a_dead_letter_again(broker, tmp_path):
    topic = f"yinling.test.poison.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [TopicSpec(topic, "k", "poison", partitions=1)])
    sessions = outbox(tmp_path)
    stage(sessions, topic, ["y" * 1_100_000])
    service = f"poison-{uuid.uuid4().hex[:6]}"
    fine: list[str] = []
    for _ in range(2):  # a restart: the poison is out of the outbox, nothing retries it
        relay = OutboxRelay(service, sessions, broker.bootstrap, poll_interval_s=0.1).start()
        try:
            assert wait_for(lambda: gauge("yinling_outbox_backlog", service) == 0)
            assert gauge("yinling_outbox_dead_letters", service) == 1
        finally:
            relay.stop()
        fine += stage(sessions, topic, ["fine"])
    with sessions() as session:
        assert len(session.scalars(select(DeadLetter)).all()) == 1
        published = session.scalars(select(OutboxRecord.event_id)
                                    .where(OutboxRecord.published_at.is_not(None))).all()
    assert fine[0] in published


def test_the_backlog_gauge_counts_every_waiting_row_while_the_broker_is_stopped(tmp_path):
    own = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log").start()
    topic = f"yinling.test.stall.{uuid.uuid4().hex[:8]}"
    spec = TopicSpec(topic, "k", "stall", partitions=1)
    ensure_topics(own.bootstrap, [spec])
    sessions = outbox(tmp_path)
    service = f"stall-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(service, sessions, own.bootstrap, poll_interval_s=0.1).start()
    try:
        stage(sessions, topic, ["first"])
        assert wait_for(lambda: gauge("yinling_outbox_backlog", service) == 0)
        own.stop()
        stage(sessions, topic, [f"waiting {n}" for n in range(100)])
        readings = []
        for _ in range(5):  # while the relay fails and backs off
            time.sleep(1)
            readings.append(gauge("yinling_outbox_backlog", service))
        assert readings == [100] * 5
        assert gauge("yinling_outbox_dead_letters", service) == 0  # unavailable is not poison
        own.start()
        ensure_topics(own.bootstrap, [spec])
        assert wait_for(lambda: gauge("yinling_outbox_backlog", service) == 0, limit_s=60)
    finally:
        relay.stop()
        own.stop()


def test_operators_list_a_services_dead_letters_with_the_reason(broker, tmp_path):
    topic = f"yinling.test.poison.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [TopicSpec(topic, "k", "poison", partitions=1)])
    engine = make_engine(f"sqlite:///{tmp_path / 'platforms.db'}")
    create_schema(engine, [])
    sessions = make_sessionmaker(engine)
    poison, = stage(sessions, topic, ["z" * 1_100_000])
    relay = OutboxRelay("platforms-cli", sessions, broker.bootstrap, poll_interval_s=0.1).start()
    try:
        assert wait_for(lambda: gauge("yinling_outbox_dead_letters", "platforms-cli") == 1)
    finally:
        relay.stop()
    engine.dispose()
    result = CliRunner().invoke(main, ["dead-letters", "platforms"], env={
        "YINLING_DATA_DIR": str(tmp_path), "YINLING_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    assert poison in result.output and "MessageSizeTooLargeError" in result.output
    assert f"-> {topic}" in result.output

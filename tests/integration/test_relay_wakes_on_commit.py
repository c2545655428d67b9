"""A committed event goes out at once: the relay is woken by the commit that staged it, not
by its next poll. Real broker, real SQLite."""
from __future__ import annotations

import time
import uuid

from google.protobuf.wrappers_pb2 import StringValue
from sqlalchemy import select

from yinling.broker import EmbeddedBroker, ensure_topics
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.outbox import OutboxRecord, record_event
from yinling.relay import OutboxRelay
from yinling.topics import TopicSpec


def test_a_commit_that_staged_events_wakes_the_relay(broker: EmbeddedBroker, tmp_path) -> None:  # type: ignore[no-untyped-def]
    topic = f"test.wake.{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, specs=[TopicSpec(topic, "k", "test", partitions=1)])
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    create_schema(engine, [])
    sessions = make_sessionmaker(engine)
    relay = OutboxRelay("wake-test", sessions, broker.bootstrap, poll_interval_s=60).start()
    try:
        time.sleep(1.0)   # the relay is idle, waiting out its 60 s poll
        with sessions.begin() as session:
            record_event(session, topic=topic, key="k", ce_type="test.happened.v1", source="/test",
                         subject="k", payload=StringValue(value="now"), sequence=1)
        committed = time.monotonic()
        while time.monotonic() - committed < 20:
            with sessions() as s:
                if s.scalar(select(OutboxRecord.published_at)) is not None:
                    break
            time.sleep(0.05)
        assert time.monotonic() - committed < 20, "not published until the relay's next poll"
    finally:
        relay.stop()
        engine.dispose()

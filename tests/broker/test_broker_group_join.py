"""Deviation 2: a consumer-group join completes only after about half the session timeout.

This observes the broker, it does not time our code: the assertion is a lower bound on
Tansu. Workaround pinned here: yinling.config keeps the session timeout small (6 s, the
smallest real Kafka accepts by default), so a join costs about 3 s on the dev broker.
"""
from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer

from yinling.config import Settings

# Long enough that half of it (Tansu's join) stands clear of the 3 s that Kafka's
# group.initial.rebalance.delay.ms adds to the first join of a new group.
PROBE_SESSION_S = 10.0
# Kafka's smallest accepted session (group.min.session.timeout.ms default).
KAFKA_MIN_SESSION_S = 6.0


def join(bootstrap: str, topic: str, session_s: float) -> tuple[float, set[int]]:
    """Seconds from subscribing until the group hands this one member its partitions,
    and those partitions."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"{topic}.group",
                             session_timeout_ms=int(session_s * 1000),
                             heartbeat_interval_ms=1000, enable_auto_commit=False)
    try:
        started = time.monotonic()
        while not consumer.assignment() and time.monotonic() - started < 3 * session_s:
            consumer.poll(100)
        return time.monotonic() - started, {tp.partition for tp in consumer.assignment()}
    finally:
        consumer.close()


def test_group_join_waits_half_the_session_timeout(broker, make_topic, kafka_flavour) -> None:
    join_s, partitions = join(broker.bootstrap, make_topic(1), PROBE_SESSION_S)
    assert partitions == {0}
    if kafka_flavour == "tansu":
        assert join_s >= 0.4 * PROBE_SESSION_S  # observed: session / 2 (5 s)
    else:
        assert join_s < 0.4 * PROBE_SESSION_S  # Kafka: the initial delay only (3 s by default)


def test_default_session_timeout_keeps_dev_joins_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YINLING_SESSION_TIMEOUT_S", raising=False)
    default = Settings.from_env().session_timeout_s
    assert default == Settings().session_timeout_s
    # Small enough for a ~3 s join on the dev broker, not below what Kafka accepts.
    assert KAFKA_MIN_SESSION_S <= default <= 10


def test_a_member_with_the_default_session_timeout_gets_its_partitions(broker, make_topic) -> None:
    # Kafka accepts the short session (not below its minimum) and the group forms.
    _, partitions = join(broker.bootstrap, make_topic(2), Settings().session_timeout_s)
    assert partitions == {0, 1}


def test_session_timeout_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINLING_SESSION_TIMEOUT_S", "45")
    assert Settings.from_env().session_timeout_s == 45.0

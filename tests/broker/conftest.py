"""Fixtures of the broker conformance suite (docs/broker-conformance.md).

Each deviation test states what Apache Kafka does and what the embedded Tansu broker
does, and asserts the one that matches the broker under test: `kafka_flavour` is "tansu"
when the suite started the embedded broker, "kafka" when YINLING_TEST_BOOTSTRAP_SERVERS
points at a cluster. A deviation test that fails therefore means the broker changed, and
the workaround listed next to it in the doc may be removable.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from yinling.broker import EmbeddedBroker, ensure_topics, free_port
from yinling.topics import TopicSpec

T = TypeVar("T")


@pytest.fixture(scope="session")
def kafka_flavour() -> str:
    return "kafka" if os.environ.get("YINLING_TEST_BOOTSTRAP_SERVERS") else "tansu"


@pytest.fixture(scope="session")
def expected(kafka_flavour: str) -> Callable[..., object]:
    """`expected(kafka=20, tansu=1)`: the behaviour the broker under test should show."""

    def pick(*, kafka: T, tansu: T) -> T:
        return kafka if kafka_flavour == "kafka" else tansu

    return pick


def unique_topic() -> str:
    return f"yinling.conformance.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def topic_name() -> str:
    """A name no topic has yet (nothing is created)."""
    return unique_topic()


@pytest.fixture
def make_topic(broker: EmbeddedBroker) -> Callable[[int], str]:
    """Create a fresh topic with an explicit partition count on the shared broker."""

    def make(partitions: int = 1) -> str:
        name = unique_topic()
        ensure_topics(broker.bootstrap, [TopicSpec(name, "test key", "conformance", partitions)])
        return name

    return make


@pytest.fixture
def own_broker(tmp_path) -> Iterator[EmbeddedBroker]:  # type: ignore[no-untyped-def]
    """A dedicated embedded broker, for tests that restart it or may upset it."""
    instance = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log").start()
    yield instance
    instance.stop()

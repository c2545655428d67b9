"""Deviation 4: a topic the broker creates on first use gets 4 partitions on Tansu (Kafka:
num.partitions, 1 unless the cluster says otherwise). Faust then refuses a table whose
source topic disagrees (PartitionsMismatch).

Workaround pinned here: yinling.broker.ensure_topics creates every topic up front with
the partition count its TopicSpec declares.
"""
from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

from yinling.broker import ensure_topics
from yinling.topics import TopicSpec


def partitions_of(bootstrap: str, topic: str) -> set[int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + 10
        while not (partitions := consumer.partitions_for_topic(topic)):
            assert time.monotonic() < deadline, f"broker never listed {topic}"
            time.sleep(0.1)
            consumer.topics()  # refreshes the metadata partitions_for_topic reads
        return set(partitions)
    finally:
        consumer.close()


def kafka_default_partitions(bootstrap: str) -> int:
    """num.partitions of a real Kafka broker (Tansu describes its brokers with no configs)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        broker_id = str(admin.describe_cluster()["brokers"][0]["broker_id"])
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, broker_id)],
                                         config_filter="all")
        return int(configs["broker"][broker_id]["num.partitions"]["value"])
    finally:
        admin.close()


def test_topic_created_by_first_produce_gets_the_broker_default_partitions(
        broker, topic_name, kafka_flavour) -> None:
    topic = topic_name
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, max_block_ms=10000)
    try:
        producer.send(topic, b"first").get(timeout=10)
    finally:
        producer.close()
    default = kafka_default_partitions(broker.bootstrap) if kafka_flavour == "kafka" else 4
    assert partitions_of(broker.bootstrap, topic) == set(range(default))


def test_ensure_topics_creates_the_declared_partition_count(broker, topic_name) -> None:
    spec = TopicSpec(topic_name, "test key", "two partitions", partitions=2)
    assert ensure_topics(broker.bootstrap, [spec]) == [spec.name]
    assert partitions_of(broker.bootstrap, spec.name) == {0, 1}


def test_ensure_topics_leaves_an_existing_topic_alone(broker, topic_name) -> None:
    spec = TopicSpec(topic_name, "test key", "two partitions", partitions=2)
    ensure_topics(broker.bootstrap, [spec])
    wider = TopicSpec(spec.name, "test key", "asks for more", partitions=8)
    assert ensure_topics(broker.bootstrap, [wider]) == []
    assert partitions_of(broker.bootstrap, spec.name) == {0, 1}

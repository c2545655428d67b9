"""What a broker holds of a topic, read with kafka-python.

`topics_lost_by_broker` only needs "any records or none": on the dev broker the end offset
is the last batch's base offset + 1 (dev-broker.md, deviation 1), which is still 0 exactly
when the partition is empty, so the answer is right there and on real Kafka alike.
"""
from __future__ import annotations

from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition


def end_offsets(bootstrap: str, topic: str) -> dict[int, int] | None:
    """End offset per partition, or None if the broker does not know the topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             request_timeout_ms=10000)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return None
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def topics_lost_by_broker(bootstrap: str, topics: Iterable[str]) -> set[str]:
    """Topics the broker has no record of at all (missing, or every partition empty)."""
    lost = set()
    for topic in topics:
        offsets = end_offsets(bootstrap, topic)
        if offsets is None or sum(offsets.values()) == 0:
            lost.add(topic)
    return lost

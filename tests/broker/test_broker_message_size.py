"""Deviation 6: the broker does not enforce a topic's max.message.bytes. Kafka refuses a
larger record with MESSAGE_TOO_LARGE (non-retryable); Tansu stores it.

Workaround pinned here: none is needed for correctness, but yinling.relay's path for a
record the *broker* refuses for good (tried alone, then dead-lettered) can only be exercised
against Kafka. Here the relay's dead-letter tests use the producer's own size check
(max_request_size, 1 MiB), which both brokers share.
"""
from __future__ import annotations

from kafka import KafkaProducer
from kafka.errors import KafkaError

from yinling.broker import ensure_topics
from yinling.topics import TopicSpec


def test_a_record_over_the_topics_max_message_bytes(broker, expected, topic_name) -> None:
    ensure_topics(broker.bootstrap, [TopicSpec(topic_name, "k", "size", partitions=1,
                                               config={"max.message.bytes": "1024"})])
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    try:
        producer.send(topic_name, b"v" * 8000, key=b"k").get(timeout=10)
        outcome = "stored"
    except KafkaError as exc:
        outcome = type(exc).__name__
    finally:
        producer.close()
    assert outcome == expected(kafka="MessageSizeTooLargeError", tansu="stored")

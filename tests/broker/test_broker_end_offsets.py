"""Deviation 1: ListOffsets "latest" reports the last batch's base offset + 1 on Tansu.

Workaround pinned here: yinling.topic_state.topics_lost_by_broker only asks "empty or
not", which end offsets still answer right (0 exactly when a partition is empty).
"""
from __future__ import annotations

import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from yinling.topic_state import end_offsets, topics_lost_by_broker

RECORDS = 20


def produce(bootstrap: str, topic: str, count: int, one_batch: bool) -> None:
    """`one_batch`: linger so every record travels in one batch, flushed once."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=500 if one_batch else 0,
                             batch_size=1 << 20)
    try:
        for i in range(count):
            producer.send(topic, key=b"k", value=str(i).encode())
            if not one_batch:
                producer.flush()
        producer.flush()
    finally:
        producer.close()


def latest_offset(bootstrap: str, topic: str) -> int:
    offsets = end_offsets(bootstrap, topic)
    assert offsets is not None
    return offsets[0]


def fetch_high_watermark(bootstrap: str, topic: str, expect_records: int) -> int:
    """Read the partition to its end (bounded) and return the Fetch response's high watermark."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        seen, deadline = 0, time.monotonic() + 10
        while seen < expect_records and time.monotonic() < deadline:
            seen += sum(len(batch) for batch in consumer.poll(200).values())
        assert seen == expect_records
        highwater = consumer.highwater(tp)
        assert highwater is not None
        return highwater
    finally:
        consumer.close()


def test_end_offset_of_one_batch_of_twenty_records(broker, make_topic, expected) -> None:
    topic = make_topic(1)
    produce(broker.bootstrap, topic, RECORDS, one_batch=True)
    # Kafka: the offset after the last record. Tansu: the last batch's base offset (0) + 1.
    assert latest_offset(broker.bootstrap, topic) == expected(kafka=RECORDS, tansu=1)


def test_fetch_high_watermark_counts_every_record_of_the_batch(broker, make_topic) -> None:
    topic = make_topic(1)
    produce(broker.bootstrap, topic, RECORDS, one_batch=True)
    assert fetch_high_watermark(broker.bootstrap, topic, RECORDS) == RECORDS


def test_end_offset_is_right_when_every_record_is_its_own_batch(broker, make_topic) -> None:
    topic = make_topic(1)
    produce(broker.bootstrap, topic, 5, one_batch=False)
    assert latest_offset(broker.bootstrap, topic) == 5


def test_lost_topic_check_tells_empty_from_one_batch(broker, make_topic) -> None:
    empty, one_batch = make_topic(1), make_topic(1)
    produce(broker.bootstrap, one_batch, RECORDS, one_batch=True)
    assert topics_lost_by_broker(broker.bootstrap, [empty, one_batch]) == {empty}


def test_lost_topic_check_counts_a_missing_topic_as_lost(broker, make_topic) -> None:
    present = make_topic(1)
    produce(broker.bootstrap, present, 1, one_batch=False)
    missing = f"{present}.never-created"
    assert topics_lost_by_broker(broker.bootstrap, [present, missing]) == {missing}

"""The worker's consumer lag per topic, from high watermarks and the group's committed offsets."""
from __future__ import annotations

from typing import NamedTuple

from services.indicators.consumer_lag import lag_by_topic


class TP(NamedTuple):
    topic: str
    partition: int


def test_lag_sums_the_uncommitted_records_of_each_topic_s_assigned_partitions() -> None:
    ends = {TP("a", 0): 10, TP("a", 1): 7, TP("b", 0): 5}
    committed = {TP("a", 0): 4, TP("a", 1): 7, TP("b", 0): 5}
    # a: (10 - 4) + (7 - 7) = 6; b: 5 - 5 = 0; c is consumed but not assigned here: 0.
    assert lag_by_topic(["a", "b", "c"], ends, ends.get, committed.get) == {"a": 6, "b": 0, "c": 0}


def test_a_partition_never_committed_counts_from_its_first_offset() -> None:
    ends = {TP("a", 0): 12}
    assert lag_by_topic(["a"], ends, ends.get, lambda tp: None) == {"a": 12}


def test_a_partition_not_fetched_yet_and_other_topics_count_nothing() -> None:
    ends: dict[TP, int | None] = {TP("a", 0): None, TP("other", 0): 99}
    assert lag_by_topic(["a"], ends, ends.get, lambda tp: 0) == {"a": 0}


def test_a_commit_ahead_of_a_stale_high_watermark_is_no_negative_lag() -> None:
    ends = {TP("a", 0): 3}
    assert lag_by_topic(["a"], ends, ends.get, lambda tp: 5) == {"a": 0}

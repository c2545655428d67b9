"""Consumer lag of the worker: per source topic, the records on its assigned partitions that
its consumer group has not committed yet (Kafka's own definition of lag).

The end of a partition is the high watermark from the consumer's Fetch responses, not a
ListOffsets end offset, which the dev broker reports wrongly (dev-broker.md, deviation 1).
A partition never committed by the group counts from offset 0 (the worker starts at the
earliest record). A partition not fetched yet has no figure and counts nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def lag_by_topic(topics: Iterable[str], assigned: Iterable[Any],
                 highwater: Callable[[Any], int | None],
                 committed: Callable[[Any], int | None]) -> dict[str, int]:
    """`assigned`: topic partitions (with .topic); every topic of `topics` gets a figure."""
    lags = dict.fromkeys(topics, 0)
    for tp in assigned:
        end = highwater(tp)
        if tp.topic not in lags or end is None:
            continue
        lags[tp.topic] += max(0, end - (committed(tp) or 0))
    return lags

"""The Faust app of the indicators worker: thin agents that hand batches of source events to
the engine, and a timer for the passing of time.

State lives in the engine's database, not in Faust tables: a table restored from its
changelog comes back stale on the dev broker (dev-broker.md, deviation 1). The engine drops
repeats by ce_id and keeps the newest aggregate version, so Faust's at-least-once offsets
(a batch is acked only after the engine committed it) are enough.

Findings on the dev broker (Tansu, faust-streaming 0.15.3, aiokafka 0.14.0):
- A worker starts, joins and consumes all 4 partitions of pre-created topics; with
  `topic_allow_declare=False` and `topic_disable_leader=True` it creates no topic of its own
  (no `<id>-__assignor-__leader`), so nothing gets the broker's default partition count.
- The group join completes after half the session timeout: 3 s with 6 s, so a worker is
  ready about 4 s after start; a rebalance after a SIGKILLed member waits out the session.
- `stream.take` yields bare values; `stream.take_events` yields events, and acks them only
  after the loop body returned. Record headers are on `event.message.headers` as a tuple of
  (str, bytes) pairs in record order (`event.headers` is a dict: repeats would collapse).
- exactly_once is not used: aiokafka's idempotent producer fails at start here (deviation 3).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import faust

from services.indicators.consumer_lag import lag_by_topic
from yinling import metrics
from yinling.config import Settings
from yinling.envelope import Envelope
from yinling.topics import SOURCE_TOPICS

log = logging.getLogger(__name__)

SERVICE = "indicators"
BATCH_MAX = 500
BATCH_WITHIN_S = 0.05   # a batch waits at most this long for more events: freshness
TICK_EVERY_S = 1.0   # the day's change, and work another worker left queued or dirty
LAG_EVERY_S = 5.0    # consumer lag measured (Prometheus scrapes every 15 s)


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip()]


def envelopes_of(events: list[Any], topic: str) -> list[Envelope]:
    """CloudEvents binary mode back from Faust events; a record that is not one is logged
    and left out (it can never become valid by being retried)."""
    envelopes = []
    for event in events:
        message = event.message
        headers = [(k, v or b"") for k, v in (message.headers or ())]
        try:
            envelopes.append(Envelope.from_record(message.key, message.value or b"", headers))
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("skipping a record of %s at partition %s offset %s: %s",
                        topic, message.partition, message.offset, exc)
    return envelopes


def observe(envelopes: list[Envelope], topic: str) -> None:
    now = datetime.now(UTC)
    for env in envelopes:
        metrics.EVENTS_CONSUMED.labels(SERVICE, topic, env.type).inc()
        metrics.INDICATOR_UPDATE_SECONDS.observe(max(0.0, (now - env.time).total_seconds()))
    metrics.INDICATOR_LAST_UPDATE.set(now.timestamp())


def measure_lag(consumer: Any) -> None:
    """The lag gauges from Faust's consumer: its assignment, the high watermarks of its
    fetches and the offsets it committed for the group (Faust keeps no public accessor)."""
    committed = consumer._committed_offset
    lags = lag_by_topic([spec.name for spec in SOURCE_TOPICS], consumer.assignment(),
                        consumer.highwater, lambda tp: committed.get(tp))
    for topic, lag in lags.items():
        metrics.CONSUMER_LAG.labels(SERVICE, topic).set(lag)


def create_app(settings: Settings, bootstrap: str, apply_batch: Callable[[list[Envelope], str], int],
               tick: Callable[[], int], app_id: str = "yinling-indicators") -> faust.App:
    """`apply_batch(envelopes, topic)` and `tick()` are synchronous (SQLAlchemy); they run on
    one worker thread, one at a time, so two batches never recompute the same value at once."""
    app = faust.App(
        app_id,
        broker=broker_urls(bootstrap),
        store="memory://",
        datadir=str(settings.data_dir / "faust"),
        autodiscover=False,
        web_enabled=False,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=max(0.5, settings.session_timeout_s / 6),
        broker_rebalance_timeout=max(10.0, settings.session_timeout_s * 2),
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=False,  # yinling.broker.ensure_topics created them, with configs
        topic_disable_leader=True,  # no leader topic to create with a mismatched partition count
    )
    db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indicators-db")

    async def in_db_thread(fn: Callable[..., int], *args: Any) -> int:
        return await asyncio.get_running_loop().run_in_executor(db, fn, *args)

    for spec in SOURCE_TOPICS:
        topic = app.topic(spec.name, key_type=bytes, value_type=bytes,
                          key_serializer="raw", value_serializer="raw")
        app.agent(topic, name=f"consume-{spec.name}")(_consumer(spec.name, in_db_thread, apply_batch))

    @app.timer(LAG_EVERY_S)
    async def consumer_lag() -> None:
        measure_lag(app.consumer)

    @app.timer(TICK_EVERY_S)
    async def expire_with_time() -> None:
        changed = await in_db_thread(tick)
        if changed:
            log.info("the day moved on: %d indicator values changed", changed)

    return app


def _consumer(topic: str, in_db_thread: Callable[..., Any],
              apply_batch: Callable[[list[Envelope], str], int]) -> Callable[[Any], Any]:
    async def consume(stream: faust.StreamT) -> None:
        # take_events exists on faust-streaming's Stream but not on its StreamT protocol.
        async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):  # type: ignore[attr-defined]
            envelopes = envelopes_of(list(events), topic)
            if envelopes:
                changed = await in_db_thread(apply_batch, envelopes, topic)
                observe(envelopes, topic)
                log.debug("applied %d events of %s: %d values changed", len(envelopes), topic, changed)
    consume.__name__ = f"consume_{topic.replace('.', '_')}"
    return consume

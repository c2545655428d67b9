"""`yinling worker`: the indicators stream processor.

Consumes the five source topics with Faust, keeps the indicators database current through
the engine, publishes the changes through the outbox relay, serves /metrics.
"""
from __future__ import annotations

import logging
import os
import random
import sys
from collections.abc import Callable

import faust
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from services.indicators.faust_app import create_app
from services.indicators.projection import ProcessedEvent
from services.indicators.runtime import SERVICE, open_runtime
from yinling import metrics
from yinling.broker import ensure_topics
from yinling.config import Settings
from yinling.envelope import Envelope
from yinling.relay import OutboxRelay
from yinling.service import bootstrap_of

log = logging.getLogger(__name__)

# The consumer group. Its committed offsets belong with one indicators database: a worker on
# a fresh database needs a group of its own (tests sharing a broker set one each).
GROUP_ENV = "YINLING_INDICATORS_GROUP"
DEFAULT_GROUP = "yinling-indicators"
SHARD_ENV, SHARDS = "YINLING_INDICATORS_SHARD", 8


def already_processed(sessions: sessionmaker, envelopes: list[Envelope]) -> int:
    """Redelivered events in a batch (the engine drops them; this only counts them)."""
    ids = [e.id for e in envelopes]
    with sessions() as session:
        seen = set(session.scalars(select(ProcessedEvent.event_id)
                                   .where(ProcessedEvent.event_id.in_(set(ids)))))
    return len(ids) - len(set(ids)) + sum(1 for i in set(ids) if i in seen)


def retrying(step: Callable[[], int]) -> int:
    """Run one engine step, again when it lost a race with another worker: a unique key
    taken first by the other (IntegrityError), or SQLite's busy database (OperationalError).
    Each step is one transaction, so a lost race leaves nothing behind."""
    for attempt in Retrying(retry=retry_if_exception_type((IntegrityError, OperationalError)),
                            wait=wait_random_exponential(multiplier=0.02, max=1.0),
                            stop=stop_after_attempt(20), reraise=True):
        with attempt:
            return step()
    raise AssertionError("unreachable")


def main(settings: Settings) -> None:
    # First: a malformed plan is refused before any connection. Each worker adds its deltas
    # into a shard of its own (picked at random), so workers never wait on each other's rows.
    runtime = open_runtime(settings, shard=int(os.environ.get(SHARD_ENV) or random.randrange(SHARDS)))
    bootstrap = bootstrap_of(settings)
    ensure_topics(bootstrap, default_partitions=settings.topic_partitions,
                  replication=settings.topic_replication)
    relay = OutboxRelay(SERVICE, runtime.sessions, bootstrap).start()
    # Exported from the start, so alerts on them have a series before the first event.
    metrics.expose((*metrics.OUTBOX_RELAY, *metrics.EVENT_CONSUMER))
    metrics.serve_metrics(settings.port("indicators-worker.metrics"), settings.host)

    engine = runtime.engine

    def apply_batch(envelopes: list[Envelope], topic: str) -> int:
        repeats = already_processed(runtime.sessions, envelopes)
        if repeats:
            metrics.EVENTS_DUPLICATE.labels(SERVICE, topic).inc(repeats)
        retrying(lambda: engine.ingest(envelopes, topic_of=lambda _env: topic))
        return catch_up()

    def catch_up() -> int:
        """Recompute what is queued (this batch's units, or a stopped worker's) and refresh."""
        while retrying(engine.drain):
            pass
        changed = retrying(engine.refresh)
        if changed:
            relay.wake()
        return changed

    def tick() -> int:
        changed = retrying(engine.tick) + catch_up()
        if changed:
            relay.wake()
        return changed

    runtime.engine.recompute_all()  # a new plan file, or a day passed while stopped
    app = create_app(settings, bootstrap, apply_batch, tick,
                     app_id=os.environ.get(GROUP_ENV) or DEFAULT_GROUP)
    # Logging stays as yinling.logs configured it; Faust's banner and spinner only on a terminal,
    # so that a log file or a container's output holds log lines alone.
    worker = faust.Worker(app, loglevel=logging.getLogger().getEffectiveLevel(),
                          redirect_stdouts=False, override_logging=False,
                          quiet=not sys.stdout.isatty())
    if not sys.stdout.isatty():
        worker.spinner = None  # else it still writes terminal control codes when started
    try:
        worker.execute_from_commandline()  # blocks; stops on SIGTERM/SIGINT, raises SystemExit
    finally:
        relay.stop()
        runtime.close()

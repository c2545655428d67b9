"""`yinling worker`: the indicators stream processor.

Consumes the five source topics with Faust, keeps the indicators database current through
the engine, publishes the changes through the outbox relay, serves /metrics.
"""
from __future__ import annotations

import logging
import os

import faust
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

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


def already_processed(sessions: sessionmaker, envelopes: list[Envelope]) -> int:
    """Redelivered events in a batch (the engine drops them; this only counts them)."""
    ids = [e.id for e in envelopes]
    with sessions() as session:
        seen = set(session.scalars(select(ProcessedEvent.event_id)
                                   .where(ProcessedEvent.event_id.in_(set(ids)))))
    return len(ids) - len(set(ids)) + sum(1 for i in set(ids) if i in seen)


def main(settings: Settings) -> None:
    runtime = open_runtime(settings)  # first: a malformed plan is refused before any connection
    bootstrap = bootstrap_of(settings)
    ensure_topics(bootstrap, default_partitions=settings.topic_partitions,
                  replication=settings.topic_replication)
    relay = OutboxRelay(SERVICE, runtime.sessions, bootstrap).start()
    metrics.serve_metrics(settings.port("indicators-worker.metrics"), settings.host)

    def apply_batch(envelopes: list[Envelope], topic: str) -> int:
        repeats = already_processed(runtime.sessions, envelopes)
        if repeats:
            metrics.EVENTS_DUPLICATE.labels(SERVICE, topic).inc(repeats)
        changed = runtime.engine.apply_batch(envelopes, topic_of=lambda _env: topic)
        if changed:
            relay.wake()
        return changed

    def tick() -> int:
        changed = runtime.engine.tick()
        if changed:
            relay.wake()
        return changed

    runtime.engine.recompute_all()  # a new plan file, or a day passed while stopped
    app = create_app(settings, bootstrap, apply_batch, tick,
                     app_id=os.environ.get(GROUP_ENV) or DEFAULT_GROUP)
    worker = faust.Worker(app, loglevel=logging.getLogger().getEffectiveLevel(),
                          redirect_stdouts=False, override_logging=False)
    try:
        worker.execute_from_commandline()  # blocks; stops on SIGTERM/SIGINT, raises SystemExit
    finally:
        relay.stop()
        runtime.close()

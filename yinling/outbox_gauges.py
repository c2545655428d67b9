"""The outbox as operators see it: the backlog and the dead letters, counted in the database
when Prometheus scrapes, so the figures are true at every moment (also while the broker is
away and the relay is stuck retrying), not whatever the relay last wrote down."""
from __future__ import annotations

import logging
import math

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from yinling import metrics
from yinling.dead_letters import dead_letter_count
from yinling.outbox import backlog

log = logging.getLogger(__name__)


def watch_outbox(service: str, sessions: sessionmaker) -> None:
    """Point the service's gauges at its database (the latest caller wins)."""

    def count(what) -> float:  # type: ignore[no-untyped-def]
        try:
            with sessions() as session:
                return float(what(session))
        except SQLAlchemyError as exc:  # a scrape must not fail with the database
            log.warning("%s: outbox gauges unavailable: %s", service, exc)
            return math.nan

    metrics.OUTBOX_BACKLOG.labels(service).set_function(lambda: count(backlog))
    metrics.OUTBOX_DEAD_LETTERS.labels(service).set_function(lambda: count(dead_letter_count))


def freeze_outbox(service: str, sessions: sessionmaker) -> None:
    """At stop: keep the last figures without holding the database open."""
    try:
        with sessions() as session:
            pending, dead = float(backlog(session)), float(dead_letter_count(session))
    except SQLAlchemyError:
        pending = dead = math.nan
    metrics.OUTBOX_BACKLOG.labels(service).set_function(lambda: pending)
    metrics.OUTBOX_DEAD_LETTERS.labels(service).set_function(lambda: dead)

"""Publishes outbox rows to Kafka in id order, marks them published, rides out outages.

At-least-once: a row is marked only after the broker acknowledged it, so a crash between
the two publishes it again with the same ce_id, and subscribers drop the repeat.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker
from tenacity import Retrying, retry_if_exception_type, wait_exponential

from yinling import metrics
from yinling.outbox import OutboxRecord, backlog
from yinling.topic_state import topics_lost_by_broker

log = logging.getLogger(__name__)

BATCH = 500


class OutboxRelay:
    def __init__(self, service: str, sessions: sessionmaker, bootstrap: str,
                 poll_interval_s: float = 0.5) -> None:
        self.service = service
        self.sessions = sessions
        self.bootstrap = bootstrap
        self.poll_interval_s = poll_interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer: KafkaProducer | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> OutboxRelay:
        self._thread = threading.Thread(target=self.run, name=f"{self.service}-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout_s)
        if self._producer:
            self._producer.close(timeout=5)

    def wake(self) -> None:
        """Called after a commit that staged events, so they go out without waiting a poll."""
        self._wake.set()

    # -- loop --------------------------------------------------------------
    def run(self) -> None:
        retrying = Retrying(
            retry=retry_if_exception_type((KafkaError, OSError)),
            wait=wait_exponential(multiplier=0.2, max=5),
            before_sleep=lambda rs: log.warning("%s relay: broker unavailable (%s); retrying",
                                                self.service, rs.outcome and rs.outcome.exception()),
        )
        for attempt in retrying:
            with attempt:
                self._republish_what_the_broker_lost()
                while not self._stop.is_set():
                    if self.publish_batch() == 0:
                        self._wake.wait(self.poll_interval_s)
                        self._wake.clear()
            if self._stop.is_set():
                return

    def publish_batch(self) -> int:
        """Publish up to BATCH rows in order; mark the acknowledged prefix. Returns rows marked."""
        with self.sessions() as session:
            rows = session.scalars(
                select(OutboxRecord).where(OutboxRecord.published_at.is_(None))
                .order_by(OutboxRecord.id).limit(BATCH)
            ).all()
            metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog(session))
        if not rows:
            return 0
        producer = self._get_producer()
        futures = []
        for row in rows:
            env = row.envelope()
            futures.append(producer.send(row.topic, key=env.key.encode(), value=env.data,
                                         headers=env.headers()))
        producer.flush(timeout=30)
        acked: list[int] = []
        error: Exception | None = None
        for row, future in zip(rows, futures, strict=True):
            try:
                future.get(timeout=0)
            except Exception as exc:  # noqa: BLE001 - stop at the first failure to keep order
                error = exc
                break
            acked.append(row.id)
            metrics.EVENTS_PUBLISHED.labels(self.service, row.topic, row.ce_type).inc()
            commit_time = row.ce_time if row.ce_time.tzinfo else row.ce_time.replace(tzinfo=UTC)
            metrics.RELAY_PUBLISH_SECONDS.labels(self.service).observe(
                max(0.0, (datetime.now(UTC) - commit_time).total_seconds()))
        if acked:
            with self.sessions.begin() as session:
                session.execute(update(OutboxRecord).where(OutboxRecord.id.in_(acked))
                                .values(published_at=datetime.now(UTC)))
        if error is not None:
            self._reset_producer()
            raise KafkaError(f"publish failed after {len(acked)} of {len(rows)}: {error}")
        return len(acked)

    # -- broker state ------------------------------------------------------
    def _republish_what_the_broker_lost(self) -> None:
        """A broker that lost its topics (the embedded one keeps nothing across a restart)
        gets every event again from the outbox, which is the record."""
        with self.sessions() as session:
            topics = set(session.scalars(select(OutboxRecord.topic).distinct()
                                         .where(OutboxRecord.published_at.is_not(None))).all())
        lost = topics_lost_by_broker(self.bootstrap, topics)
        if lost:
            log.warning("%s relay: broker has no records of %s; publishing them again",
                        self.service, sorted(lost))
            with self.sessions.begin() as session:
                session.execute(update(OutboxRecord).where(OutboxRecord.topic.in_(lost))
                                .values(published_at=None))

    def _get_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                enable_idempotence=True,
                acks="all",
                linger_ms=5,
                max_block_ms=5000,
                request_timeout_ms=5000,
                client_id=f"yinling-{self.service}-relay",
            )
        return self._producer

    def _reset_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001 - a broken producer is discarded either way
                pass
            self._producer = None
        time.sleep(0)

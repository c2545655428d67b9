"""Publishes outbox rows to Kafka in id order, marks them published, rides out outages.

At-least-once: a row is marked only after the broker acknowledged it, so a crash between
the two publishes it again with the same ce_id, and subscribers drop the repeat.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import RecordMetadata
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from yinling import metrics
from yinling.dead_letters import DeadLetter, dead_letter, describe, is_permanent, notice_headers
from yinling.outbox import OutboxRecord, on_commit_of_events
from yinling.outbox_gauges import freeze_outbox, watch_outbox
from yinling.topic_state import topics_lost_by_broker
from yinling.topics import DEAD_LETTERS

log = logging.getLogger(__name__)

BATCH = 500


class Sent(Protocol):
    def get(self, timeout: float | None = None) -> object: ...


class Refused:
    """A record the producer refused before sending it, answered like a failed send."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    @property
    def permanent(self) -> bool:
        # ValueError and the like: the record itself is unsendable (an illegal topic name).
        return is_permanent(self.exc) or not isinstance(self.exc, KafkaError)

    def get(self, timeout: float | None = None) -> object:
        raise self.exc


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
        self._unhook: Callable[[], None] = lambda: None
        self._highest: dict[tuple[str, int], int] = {}   # last acknowledged offset per partition

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> OutboxRelay:
        watch_outbox(self.service, self.sessions)
        # Series at 0 from the start, so the first failure or publication counts in rate().
        metrics.RELAY_FAILURES.labels(self.service)
        metrics.RELAY_PUBLISH_SECONDS.labels(self.service)
        self._unhook = on_commit_of_events(self.sessions, self.wake)
        self._thread = threading.Thread(target=self.run, name=f"{self.service}-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._unhook()
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout_s)
        if self._producer:
            self._producer.close(timeout=5)
        freeze_outbox(self.service, self.sessions)

    def wake(self) -> None:
        """Called after a commit that staged events, so they go out without waiting a poll."""
        self._wake.set()

    # -- loop --------------------------------------------------------------
    def run(self) -> None:
        retrying = Retrying(
            # Anything, not only the broker's and the database's errors: the relay never dies
            # quietly; what it cannot get past is logged on every attempt.
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=0.2, max=5),
            before_sleep=self._failed,
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

    def _failed(self, state: RetryCallState) -> None:
        """A pass that failed and is retried: logged and counted (alerts watch the rate)."""
        metrics.RELAY_FAILURES.labels(self.service).inc()
        log.warning("%s relay: broker or database unavailable (%s); retrying",
                    self.service, state.outcome and state.outcome.exception())

    def publish_batch(self) -> int:
        """Publish up to BATCH rows in order; mark the acknowledged prefix. A row the broker
        refuses for good is moved to the dead letters and the batch goes on behind it; a
        retryable failure stops at that row (order is kept) and raises. Returns rows handled."""
        with self.sessions() as session:
            rows = session.scalars(
                select(OutboxRecord).where(OutboxRecord.published_at.is_(None))
                .order_by(OutboxRecord.id).limit(BATCH)
            ).all()
        if not rows:
            return 0
        producer = self._get_producer()
        futures: list[Sent] = [self._send(producer, row) for row in rows]
        producer.flush(timeout=30)
        acked: list[OutboxRecord] = []
        refused: list[tuple[OutboxRecord, Exception]] = []
        failed: tuple[OutboxRecord, Exception] | None = None
        went_back: set[str] = set()
        for row, future in zip(rows, futures, strict=True):
            try:
                sent: RecordMetadata = future.get(timeout=0)
                if self._log_went_back(sent.topic, sent.partition, sent.offset):
                    went_back.add(sent.topic)
            except Exception as exc:  # noqa: BLE001 - stop at the first failure to keep order
                if isinstance(future, Refused) and future.permanent:
                    refused.append((row, exc))  # never sent: the order of the rest holds
                    continue
                failed = (row, exc)
                break
            acked.append(row)
        self._mark_published(acked)
        if went_back:
            self._publish_again(went_back, "the broker's log of them started again")
        for poison, why in refused:
            self._dead_letter(poison, describe(why))
        handled = len(acked) + len(refused)
        if failed is None:
            return handled
        row, error = failed
        self._reset_producer()
        if not is_permanent(error):
            raise KafkaError(f"publish failed after {handled} of {len(rows)}: {error}")
        # The whole producer batch fails with its largest record: try the row alone before
        # calling it poison, so a neighbour is never dead-lettered for another's fault.
        self._publish_alone_or_dead_letter(row)
        return handled + 1

    def _send(self, producer: KafkaProducer, row: OutboxRecord) -> Sent:
        env = row.envelope()
        try:
            return producer.send(row.topic, key=env.key.encode(), value=env.data,
                                 headers=env.headers())
        except (KafkaError, ValueError, TypeError) as exc:  # refused before sending: too large,
            return Refused(exc)                             # an illegal topic name, ...

    def _publish_alone_or_dead_letter(self, row: OutboxRecord) -> None:
        producer = self._get_producer()
        future = self._send(producer, row)
        producer.flush(timeout=30)
        try:
            sent: RecordMetadata = future.get(timeout=0)
        except Exception as exc:  # noqa: BLE001 - classified below
            self._reset_producer()
            if not (future.permanent if isinstance(future, Refused) else is_permanent(exc)):
                raise KafkaError(f"publish of outbox row {row.id} failed: {exc}") from exc
            self._dead_letter(row, describe(exc))
            return
        self._mark_published([row])
        if self._log_went_back(sent.topic, sent.partition, sent.offset):
            self._publish_again({sent.topic}, "the broker's log of them started again")

    def _dead_letter(self, row: OutboxRecord, reason: str) -> None:
        log.error("%s relay: the broker refuses event %s (%s, outbox row %s) for good: %s; "
                  "moved to the dead letters, later events go on", self.service, row.event_id,
                  row.ce_type, row.id, reason, extra={"ce_id": row.event_id})
        with self.sessions.begin() as session:
            current = session.get(OutboxRecord, row.id)
            if current is None:  # moved meanwhile by another relay of the same database
                return
            letter = dead_letter(session, current, reason)
        metrics.OUTBOX_DEAD_LETTERED.labels(self.service, row.topic).inc()
        self._announce(letter)

    def _announce(self, letter: DeadLetter) -> None:
        """Best effort: a notice on the dead-letter topic; the table is the record."""
        producer = self._get_producer()
        try:
            producer.send(DEAD_LETTERS.name, key=letter.key.encode()[:200], value=b"",
                          headers=notice_headers(letter)).get(timeout=10)
        except Exception as exc:  # noqa: BLE001 - the broker may refuse this too
            log.warning("%s relay: dead-letter notice for %s not published: %s",
                        self.service, letter.event_id, exc)
            self._reset_producer()
            return
        with self.sessions.begin() as session:
            session.execute(update(DeadLetter).where(DeadLetter.id == letter.id)
                            .values(announced=True))

    def _mark_published(self, rows: list[OutboxRecord]) -> None:
        if not rows:
            return
        with self.sessions.begin() as session:
            session.execute(update(OutboxRecord).where(OutboxRecord.id.in_([r.id for r in rows]))
                            .values(published_at=datetime.now(UTC)))
        now = datetime.now(UTC)
        for row in rows:
            metrics.EVENTS_PUBLISHED.labels(self.service, row.topic, row.ce_type).inc()
            log.debug("event published", extra={"ce_id": row.event_id, "ce_type": row.ce_type,
                                               "topic": row.topic, "key": row.key})
            commit_time = row.ce_time if row.ce_time.tzinfo else row.ce_time.replace(tzinfo=UTC)
            metrics.RELAY_PUBLISH_SECONDS.labels(self.service).observe(
                max(0.0, (now - commit_time).total_seconds()))

    # -- broker state ------------------------------------------------------
    def _log_went_back(self, topic: str, partition: int, offset: int) -> bool:
        """An acknowledged offset below one acknowledged before: the broker's log of that
        partition started again (a restarted embedded broker, a topic deleted and made again)."""
        before = self._highest.get((topic, partition), -1)
        self._highest[(topic, partition)] = offset
        return offset < before

    def _publish_again(self, topics: set[str], why: str) -> None:
        """Every event of those topics again, from the outbox (the record); subscribers
        dedupe by ce_id, so what the broker already holds is harmless twice."""
        log.warning("%s relay: %s: %s; publishing every event of them again",
                    self.service, why, sorted(topics))
        with self.sessions.begin() as session:
            session.execute(update(OutboxRecord).where(OutboxRecord.topic.in_(topics))
                            .values(published_at=None))
        self._highest = {k: v for k, v in self._highest.items() if k[0] not in topics}

    def _republish_what_the_broker_lost(self) -> None:
        """A broker that lost its topics (the embedded one keeps nothing across a restart)
        gets every event again from the outbox, which is the record."""
        with self.sessions() as session:
            topics = set(session.scalars(select(OutboxRecord.topic).distinct()
                                         .where(OutboxRecord.published_at.is_not(None))).all())
        lost = topics_lost_by_broker(self.bootstrap, topics)
        if lost:
            self._publish_again(lost, "the broker has no records of them")

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

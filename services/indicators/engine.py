"""The indicator engine: source snapshots in, indicator values and their changes out.

Three steps, each one transaction, each safe to run in several workers at once:
1. `ingest` (per batch of source events): dedupe by ce_id, keep only newer snapshots,
   replace their facts, and queue the units those facts belong to.
2. `drain`: recompute queued units, take back their old contributions and add the new ones
   as deltas (into this worker's shard), and mark the changed keys dirty.
3. `refresh`: re-read dirty (indicator, territory) keys for "now" and each year end; for
   every value that changed write a change row and stage an IndicatorChanged event in the
   outbox. One refresher at a time (a row lock), so cursors follow commit order.
`apply_batch` runs all three in one transaction (one process, and the tests).
The work is in proportion to the facts a batch changed, not to the facts held.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from services.indicators import deltas, incremental, locks, store
from services.indicators.contributions import incremental as is_incremental
from services.indicators.decode import decode
from services.indicators.deps import cause_for
from services.indicators.disclosure import counted, reported_id
from services.indicators.projection import MODELS, ChangeRow, DirtyRow, ValueRow
from services.indicators.reader import Reader, compute_from_snapshots
from services.indicators.values import values_on
from yinling import logs
from yinling.envelope import Envelope, event_type, format_time
from yinling.outbox import record_event
from yinling.plan import Plan
from yinling.topics import INDICATOR_CHANGES
from yinling.v1 import indicators_pb2 as pb

log = logging.getLogger(__name__)
CHANGED = event_type("indicator", "changed")
RATIO_SHARD = -1   # ratios are marked dirty by the ingest step itself
__all__ = ["MODELS", "IndicatorEngine", "compute_from_snapshots"]

Work = dict[tuple[str, str, str], str]   # (plan, indicator, territory) -> cause event id


class IndicatorEngine(Reader):
    def __init__(self, sessions: sessionmaker, plans: list[Plan], today: Callable[[], date],
                 source: str = "/yinling/indicators", shard: int = 0) -> None:
        super().__init__(sessions, plans, today)
        self._source = source
        self._shard = shard
        self._built = False

    def apply_batch(self, envelopes: list[Envelope],
                    topic_of: Callable[[Envelope], str] | None = None) -> int:
        """All three steps in one transaction; returns the number of values that changed."""
        if not self._built:
            self.build()
        with self._sessions.begin() as session:
            self._ingest(session, envelopes, topic_of)
            incremental.drain(session, self._plans, self._shard)
            return self._refresh(session, None, None)

    def ingest(self, envelopes: list[Envelope], topic_of: Callable[[Envelope], str] | None = None) -> int:
        """Step 1 alone; returns the number of units queued."""
        if not self._built:
            self.build()
        with self._sessions.begin() as session:
            return self._ingest(session, envelopes, topic_of)

    def drain(self, limit: int = 5000) -> int:
        """Step 2 alone, for up to `limit` queued rows; returns the number of rows taken."""
        with self._sessions.begin() as session:
            return incremental.drain(session, self._plans, self._shard, limit)

    def refresh(self) -> int:
        """Step 3 alone; returns the number of values that changed (0 if another worker is at it)."""
        with self._sessions.begin() as session:
            return self._refresh(session, None, None)

    def _ingest(self, session: Session, envelopes: list[Envelope],
                topic_of: Callable[[Envelope], str] | None) -> int:
        fresh = store.unseen(session, [e.id for e in envelopes])
        snapshots = []
        for env in envelopes:
            about = {"ce_id": env.id, "ce_type": env.type, "subject": env.subject}
            if env.id not in fresh:
                log.info("event already taken in; skipped", extra=about)
                continue
            fresh.discard(env.id)   # the same ce_id twice in one batch counts once
            snapshot = decode(env, topic_of(env) if topic_of else None)
            if snapshot is None:
                log.warning("event %s (%s) carries no snapshot the indicators read", env.id, env.type,
                            extra=about)
                continue
            log.info("event taken in", extra=about)
            snapshots.append(snapshot)
        touched = store.replace(session, store.newer(session, snapshots))
        pending: list[dict[str, str]] = []
        ratios: Work = {}
        for plan in self._plans.values():
            for indicator in counted(plan):
                if is_incremental(indicator):
                    pending.extend(incremental.touches(plan, indicator, touched))
                elif (cause := cause_for(indicator, touched)) is not None:
                    ratios.update({(plan.id, indicator.id, t): cause for t in plan.territories})
        incremental.enqueue(session, pending)
        deltas.mark_dirty(session, ratios, RATIO_SHARD)
        return len(pending)

    def build(self) -> int:
        """Build the contributions of every indicator not built for its current definition
        (a new plan file, a changed counting rule, or a database from before they existed)."""
        built = 0
        with self._sessions.begin() as session:
            locks.take(session, "build")   # one builder at a time; the second finds it done
            for plan, indicator in incremental.unbuilt(session, self._plans.values()):
                units = incremental.build(session, plan, indicator)
                log.info("built %s/%s from %d units", plan.id, indicator.id, units)
                built += 1
        self._built = True
        return built

    def rebuild(self, progress: Callable[[int], object] | None = None) -> int:
        """Build every indicator again from the facts held and refresh every value, in one
        transaction: readers see the previous values until it commits. Returns values changed."""
        with self._sessions.begin() as session:
            locks.take(session, "build")
            timelines = store.load_timelines(session)
            for plan in self._plans.values():
                for indicator in counted(plan):
                    if is_incremental(indicator):
                        incremental.build(session, plan, indicator, timelines, progress)
            return self._refresh(session, self._everything(), None, wait=True)

    def facts_to_read(self) -> int:
        with self._sessions() as session:
            return sum(incremental.facts_to_read(session, i) for p in self._plans.values()
                       for i in counted(p) if is_incremental(i))

    def tick(self) -> int:
        """Re-read the "now" series when the city's date moved on (expiries need no event)."""
        today = self._today()
        with self._sessions.begin() as session:
            stale = session.scalar(select(ValueRow.plan_id).where(
                ValueRow.series == "now", ValueRow.as_of != today).limit(1))
            if stale is None:
                return 0
            return self._refresh(session, self._everything(), {"now"})

    def recompute_all(self) -> int:
        self.build()
        with self._sessions.begin() as session:
            return self._refresh(session, self._everything(), None, wait=True)

    def _everything(self) -> Work:
        return {(p.id, i.id, t): "" for p in self._plans.values() for i in p.indicators
                for t in p.territories}

    def _refresh(self, session: Session, work: Work | None, only_series: set[str] | None,
                 wait: bool = False) -> int:
        """Re-read the given keys (None: the dirty ones) on every series day; store the values
        that changed. Every territory of an indicator is re-read with any one of them (one
        query), so a territory seen for the first time gets its value and a change its
        previous value, exactly as a full recomputation would."""
        if not locks.take(session, "values", shared=False, wait=wait):
            return 0   # another worker is refreshing; what is left dirty is read next time
        seen: list[tuple[DirtyRow, int]] = []
        if work is None:
            work = {}
            for row in session.scalars(select(DirtyRow).where(DirtyRow.version > DirtyRow.seen)
                                       .order_by(DirtyRow.shard, DirtyRow.plan_id, DirtyRow.indicator_id,
                                                 DirtyRow.territory)):
                if row.plan_id in self._plans:
                    plan = self._plans[row.plan_id]
                    indicator_id = reported_id(row.indicator_id)   # a contributor count moves its sum
                    work.update({(plan.id, indicator_id, t): row.cause_event_id for t in plan.territories})
                seen.append((row, row.version))
        changes = self._store_values(session, work, only_series) if work else []
        for row, version in seen:
            session.execute(update(DirtyRow).where(
                DirtyRow.shard == row.shard, DirtyRow.plan_id == row.plan_id,
                DirtyRow.indicator_id == row.indicator_id, DirtyRow.territory == row.territory)
                .values(seen=version))
        return len(changes)

    def _store_values(self, session: Session, work: Work, only_series: set[str] | None
                      ) -> list[tuple[ChangeRow, pb.IndicatorValue]]:
        now = datetime.now(UTC)
        today = self._today()
        changes: list[tuple[ChangeRow, pb.IndicatorValue]] = []
        for plan in self._plans.values():
            keys = {(i, t): cause for (p, i, t), cause in work.items() if p == plan.id}
            if not keys:
                continue
            indicators = [i for i in plan.indicators if any(k[0] == i.id for k in keys)]
            existing = {(r.indicator_id, r.territory, r.series): r for r in session.scalars(
                select(ValueRow).where(ValueRow.plan_id == plan.id,
                                       ValueRow.indicator_id.in_([i.id for i in indicators])))}
            series = [n for n in plan.series_names() if only_series is None or n in only_series]
            days = {n: today if n == "now" else date.fromisoformat(n) for n in series}
            computed = values_on(session, plan, indicators, set(days.values()), format_time(now))
            for name, day in days.items():
                for iv in computed[day]:
                    cause = keys.get((iv.indicator_id, iv.territory))
                    if cause is None:
                        continue
                    if plan.indicator(iv.indicator_id).confidential:
                        cause = ""   # the public feed must not point at a confidential record
                    key = (plan.id, iv.indicator_id, iv.territory, name)
                    change = self._store(session, existing.get(key[1:]), key, iv, cause, now)
                    if change is not None:
                        changes.append((change, iv))
        session.flush()   # assigns the cursors
        for row, iv in changes:
            event_key = f"{row.plan_id}/{row.indicator_id}/{row.territory}/{row.series}"
            payload = pb.IndicatorChanged(cursor=row.cursor, value=iv, previous_value=row.previous_value,
                                          cause_event_id=row.cause_event_id, series=row.series)
            with logs.bound(cause_ce_id=row.cause_event_id):  # the event behind the change
                record_event(session, topic=INDICATOR_CHANGES.name, key=event_key, ce_type=CHANGED,
                             source=self._source, subject=event_key, payload=payload,
                             sequence=row.cursor, at=now)
        return changes

    @staticmethod
    def _store(session: Session, row: ValueRow | None, key: tuple[str, str, str, str],
               iv: pb.IndicatorValue, cause: str, now: datetime) -> ChangeRow | None:
        signature = f"{iv.value}|{iv.period}" + ("|suppressed" if iv.suppressed else "")
        payload = iv.SerializeToString(deterministic=True)
        if row is not None and row.signature == signature:
            if row.as_of != date.fromisoformat(iv.as_of):   # "now" moved on, same value
                row.as_of, row.payload = date.fromisoformat(iv.as_of), payload
            return None
        previous = row.value if row is not None else ""
        if row is None:
            session.add(ValueRow(plan_id=key[0], indicator_id=key[1], territory=key[2], series=key[3],
                                 as_of=date.fromisoformat(iv.as_of), value=iv.value,
                                 signature=signature, payload=payload))
        else:
            row.as_of, row.value, row.signature, row.payload = (date.fromisoformat(iv.as_of), iv.value,
                                                                signature, payload)
        change = ChangeRow(plan_id=key[0], indicator_id=key[1], territory=key[2], series=key[3],
                           value=iv.value, previous_value=previous, cause_event_id=cause,
                           recorded_at=now, payload=payload)
        session.add(change)
        return change


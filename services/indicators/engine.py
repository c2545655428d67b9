"""The indicator engine: source snapshots in, indicator values and their changes out.

One batch is one transaction: dedupe by ce_id, keep only newer snapshots, replace their
facts, recompute the contributions of the units those facts belong to and add the net
deltas, then re-read the touched (indicator, territory) keys for "now" and each year end; for
every value that changed write a change row and stage an IndicatorChanged event in the outbox.
The work is in proportion to the facts the batch changed, not to the facts held.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.indicators import deltas, incremental, store
from services.indicators.contributions import incremental as is_incremental
from services.indicators.decode import decode
from services.indicators.deps import cause_for
from services.indicators.projection import MODELS, ChangeRow, ValueRow
from services.indicators.reader import Reader, compute_from_snapshots
from services.indicators.values import values_on
from yinling.envelope import Envelope, event_type, format_time
from yinling.outbox import record_event
from yinling.plan import Plan
from yinling.topics import INDICATOR_CHANGES
from yinling.v1 import indicators_pb2 as pb

log = logging.getLogger(__name__)
CHANGED = event_type("indicator", "changed")
__all__ = ["MODELS", "IndicatorEngine", "compute_from_snapshots"]

Work = dict[tuple[str, str, str], str]   # (plan, indicator, territory) -> cause event id


class IndicatorEngine(Reader):
    def __init__(self, sessions: sessionmaker, plans: list[Plan], today: Callable[[], date],
                 source: str = "/yinling/indicators") -> None:
        super().__init__(sessions, plans, today)
        self._source = source
        self._built = False

    def apply_batch(self, envelopes: list[Envelope],
                    topic_of: Callable[[Envelope], str] | None = None) -> int:
        if not self._built:
            self.build()
        with self._sessions.begin() as session:
            fresh = store.unseen(session, [e.id for e in envelopes])
            snapshots = []
            for env in envelopes:
                if env.id not in fresh:
                    continue
                fresh.discard(env.id)   # the same ce_id twice in one batch counts once
                snapshot = decode(env, topic_of(env) if topic_of else None)
                if snapshot is None:
                    log.warning("event %s (%s) carries no snapshot the indicators read", env.id, env.type)
                    continue
                snapshots.append(snapshot)
            touched = store.replace(session, store.newer(session, snapshots))
            changed = incremental.Changed()
            work: Work = {}
            for plan in self._plans.values():
                for indicator in plan.indicators:
                    if is_incremental(indicator):
                        incremental.update(session, plan, indicator, touched, changed)
                    else:
                        cause = cause_for(indicator, touched)
                        if cause is not None:
                            work.update({(plan.id, indicator.id, t): cause for t in plan.territories})
            deltas.add(session, changed.deltas)
            # Every territory of a touched indicator is re-read (a bounded set, read in one
            # query): a territory seen for the first time gets its value, and a change its
            # previous value, exactly as a full recomputation would.
            for (plan_id, indicator_id, _territory), cause in changed.causes.items():
                work.update({(plan_id, indicator_id, t): cause for t in self._plans[plan_id].territories})
            return self._refresh(session, work, None)

    def build(self) -> int:
        """Build the contributions of every indicator not built for its current definition
        (a new plan file, a changed counting rule, or a database from before they existed)."""
        built = 0
        with self._sessions.begin() as session:
            for plan, indicator in incremental.unbuilt(session, self._plans.values()):
                units = incremental.build(session, plan, indicator)
                log.info("built %s/%s from %d units", plan.id, indicator.id, units)
                built += 1
        self._built = True
        return built

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
            return self._refresh(session, self._everything(), None)

    def _everything(self) -> Work:
        return {(p.id, i.id, t): "" for p in self._plans.values() for i in p.indicators
                for t in p.territories}

    def _refresh(self, session: Session, work: Work, only_series: set[str] | None) -> int:
        """Re-read the values of the given keys on every series day; store those that changed."""
        if not work:
            return 0
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
                    key = (plan.id, iv.indicator_id, iv.territory, name)
                    change = self._store(session, existing.get(key[1:]), key, iv, cause, now)
                    if change is not None:
                        changes.append((change, iv))
        session.flush()   # assigns the cursors
        for row, iv in changes:
            event_key = f"{row.plan_id}/{row.indicator_id}/{row.territory}/{row.series}"
            payload = pb.IndicatorChanged(cursor=row.cursor, value=iv, previous_value=row.previous_value,
                                          cause_event_id=row.cause_event_id, series=row.series)
            record_event(session, topic=INDICATOR_CHANGES.name, key=event_key, ce_type=CHANGED,
                         source=self._source, subject=event_key, payload=payload, sequence=row.cursor, at=now)
        return len(changes)

    @staticmethod
    def _store(session: Session, row: ValueRow | None, key: tuple[str, str, str, str],
               iv: pb.IndicatorValue, cause: str, now: datetime) -> ChangeRow | None:
        signature = f"{iv.value}|{iv.period}"
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

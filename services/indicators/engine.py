"""The indicator engine: source snapshots in, indicator values and their changes out.

One batch is one transaction: dedupe by ce_id, keep only newer snapshots, replace their
facts, recompute the touched indicators once, and for every value that changed write a
change row and stage an IndicatorChanged event in the outbox.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.indicators import store
from services.indicators.decode import decode
from services.indicators.deps import cause_for, needs
from services.indicators.facts import Fact
from services.indicators.projection import MODELS, ChangeRow, ValueRow
from services.indicators.reader import Reader, compute_days, compute_from_snapshots
from yinling.envelope import Envelope, event_type, format_time
from yinling.outbox import record_event
from yinling.plan import Indicator, Plan
from yinling.topics import INDICATOR_CHANGES
from yinling.v1 import indicators_pb2 as pb

log = logging.getLogger(__name__)
CHANGED = event_type("indicator", "changed")
__all__ = ["MODELS", "IndicatorEngine", "compute_from_snapshots"]


class IndicatorEngine(Reader):
    def __init__(self, sessions: sessionmaker, plans: list[Plan], today: Callable[[], date],
                 source: str = "/yinling/indicators") -> None:
        super().__init__(sessions, plans, today)
        self._source = source

    def apply_batch(self, envelopes: list[Envelope],
                    topic_of: Callable[[Envelope], str] | None = None) -> int:
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
            work: dict[tuple[str, str], str] = {}
            for plan in self._plans.values():
                for indicator in plan.indicators:
                    cause = cause_for(indicator, touched)
                    if cause is not None:
                        work[(plan.id, indicator.id)] = cause
            return self._recompute(session, work, None)

    def tick(self) -> int:
        """Recompute the "now" series when the city's date moved on (expiries need no event)."""
        today = self._today()
        with self._sessions.begin() as session:
            stale = session.scalar(select(ValueRow.plan_id).where(
                ValueRow.series == "now", ValueRow.as_of != today).limit(1))
            if stale is None:
                return 0
            work = {(p.id, i.id): "" for p in self._plans.values() for i in p.indicators}
            return self._recompute(session, work, {"now"})

    def recompute_all(self) -> int:
        with self._sessions.begin() as session:
            work = {(p.id, i.id): "" for p in self._plans.values() for i in p.indicators}
            return self._recompute(session, work, None)

    def _recompute(self, session: Session, work: dict[tuple[str, str], str],
                   only_series: set[str] | None) -> int:
        if not work:
            return 0
        now = datetime.now(UTC)
        cache: dict[object, list[Fact]] = {}
        timelines = store.load_timelines(session)
        existing = {(r.plan_id, r.indicator_id, r.territory, r.series): r for r in session.scalars(
            select(ValueRow).where(ValueRow.indicator_id.in_({i for _, i in work})))}
        changes: list[tuple[ChangeRow, pb.IndicatorValue]] = []
        for (plan_id, indicator_id), cause in work.items():
            plan = self._plans[plan_id]
            indicator = plan.indicator(indicator_id)
            facts = self._facts(session, indicator, cache)
            series = [n for n in plan.series_names() if only_series is None or n in only_series]
            days = {n: self._today() if n == "now" else date.fromisoformat(n) for n in series}
            computed = compute_days(plan, indicator, facts, timelines, sorted(set(days.values())),
                                    format_time(now))
            for name, day in days.items():
                for iv in computed[day]:
                    key = (plan.id, indicator.id, iv.territory, name)
                    change = self._store(session, existing.get(key), key, iv, cause, now)
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

    def _facts(self, session: Session, indicator: Indicator, cache: dict[object, list[Fact]]) -> list[Fact]:
        out: list[Fact] = []
        for need in needs(indicator):
            if need not in cache:
                cache[need] = store.load_facts(session, need[0], need[1])
            out.extend(cache[need])
        return out

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

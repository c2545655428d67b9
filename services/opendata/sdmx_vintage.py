"""The indicators' year-end observations as the feed published them: now, at a past moment
(asOf), changed since a moment (updatedAfter), or every version (includeHistory).

Built from the current values and the change log, in which every change of a value is kept
with the moment it was recorded (a change's `computed_at` is that moment: the worker stamps
both with one clock reading). The value of a cell at moment T is the one its last change up
to T recorded; a cell with no change after T is as it is now; a cell whose first change came
after T had not been published. Pure: no I/O.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from services.opendata.formatting import indicator_status
from yinling.envelope import parse_time
from yinling.v1 import indicators_pb2

Key = tuple[str, str, str]   # indicator, territory, year


@dataclass(frozen=True)
class Observation:
    indicator: str
    territory: str
    period: str                 # the year; the value is the one at its year end
    value: str                  # exact decimal; empty when withheld or unavailable
    suppressed: bool
    unit: str
    status: str
    target: str
    published: datetime | None  # when this value was recorded; None: never changed

    @property
    def key(self) -> Key:
        return (self.indicator, self.territory, self.period)


def observation(v: indicators_pb2.IndicatorValue, series: str,
                published: datetime | None = None) -> Observation:
    return Observation(v.indicator_id, v.territory, series[:4], "" if v.suppressed else v.value,
                       v.suppressed, v.unit, indicator_status(v.status), v.target, published)


def changed(c: indicators_pb2.IndicatorChanged) -> Observation:
    return observation(c.value, c.series, parse_time(c.value.computed_at))


def vintage(current: Iterable[Observation], changes: Iterable[Observation],
            as_of: datetime | None = None) -> list[Observation]:
    """Each cell as published at `as_of` (now when None), with when it was published.
    `changes` in the order they were recorded."""
    log: dict[Key, list[Observation]] = defaultdict(list)
    for c in changes:
        log[c.key].append(c)
    now = {o.key: o for o in current}
    out = []
    for key in sorted(now.keys() | log.keys()):
        history = log.get(key, [])
        before = [c for c in history if as_of is None or c.published <= as_of]  # type: ignore[operator]
        if len(before) < len(history):          # changed after as_of: its value then
            if before:
                out.append(before[-1])
        elif key in now:                        # as it is now
            out.append(replace(now[key], published=before[-1].published if before else None))
        elif before:
            out.append(before[-1])
    return out


def updated_after(observations: Iterable[Observation], moment: datetime) -> list[Observation]:
    return [o for o in observations if o.published is not None and o.published > moment]


def versions(current: Iterable[Observation], changes: Iterable[Observation],
             as_of: datetime | None = None) -> list[tuple[datetime | None, list[Observation]]]:
    """Every published version, oldest first, grouped by the moment it was published: first
    the cells that never changed (no moment), then each recording of changes."""
    changes = list(changes)
    log = [c for c in changes if as_of is None or c.published <= as_of]  # type: ignore[operator]
    ever = {c.key for c in changes}
    groups: dict[datetime, list[Observation]] = defaultdict(list)
    for c in log:
        assert c.published is not None
        groups[c.published].append(c)
    unchanged = [o for o in current if o.key not in ever]
    out: list[tuple[datetime | None, list[Observation]]] = [(None, unchanged)] if unchanged else []
    return out + [(moment, groups[moment]) for moment in sorted(groups)]


def first_last(observations: list[Observation], first: int | None, last: int | None) -> list[Observation]:
    """firstNObservations / lastNObservations per series (indicator x territory); both given,
    the first N and the last N."""
    if first is None and last is None:
        return observations
    series: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for o in sorted(observations, key=lambda o: o.key):
        series[(o.indicator, o.territory)].append(o)
    kept: set[Key] = set()
    for points in series.values():
        if first is not None:
            kept |= {o.key for o in points[:first]}
        if last is not None:
            kept |= {o.key for o in points[-last:]}
    return [o for o in observations if o.key in kept]

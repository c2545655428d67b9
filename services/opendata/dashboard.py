"""What the people's page shows besides the table: the plan's own facts (period, year ends,
status rule, notes), the default view, when the data last changed, each indicator's series
over time and its districts. Read from the plan file and the indicator service.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.opendata.backends import Backends
from services.opendata.formatting import indicator_row
from yinling.plan import Plan, active_plan, load_plan, load_plans
from yinling.territory import CITY

NOW = "now"
HISTORY_READERS = 6


@dataclass(frozen=True)
class PlanFacts:
    """The plan as the page needs it."""
    name_zh: str
    name_en: str
    start: str
    end: str
    series: tuple[str, ...]            # year-end dates
    tolerance: Decimal
    min_contributors: int
    target_notes: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> (en, zh)

    @classmethod
    def of(cls, plan: Plan) -> PlanFacts:
        notes = {i.id: (t.note, t.note_zh or t.note) for i in plan.indicators
                 for t in i.targets if t.note}
        return cls(plan.name_zh, plan.name_en, plan.period.start.isoformat(),
                   plan.period.end.isoformat(), tuple(d.isoformat() for d in plan.series),
                   plan.status_tolerance, plan.disclosure.min_contributors, notes)

    def default_view(self, today: date) -> str:
        """"now" while the plan runs; once it has ended, its final year end, where its
        result stands (after the end "now" counts against targets already past)."""
        if self.series and today > date.fromisoformat(self.end):
            return self.series[-1]
        return NOW


def load_facts(path: Path) -> PlanFacts:
    """The plan the feed serves: the file, or the current active plan of a folder."""
    return PlanFacts.of(active_plan(load_plans(path)) if path.is_dir() else load_plan(path))


def today(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date()


def last_updated(backends: Backends, time_zone: str) -> datetime | None:
    """When the newest indicator change was recorded, in the feed's time zone."""
    recorded = backends.latest_change().recorded_at
    if not recorded:
        return None
    moment = datetime.fromisoformat(recorded.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(time_zone))


@dataclass(frozen=True)
class Point:
    as_of: str
    value: str          # "" when withheld
    suppressed: bool


def series_points(backends: Backends, facts: PlanFacts, indicator_id: str,
                  territory: str, today: date) -> list[Point]:
    """Value over time from the indicator history: the "now" series, one point a day (its
    latest), and each past year end's latest revision (which counts late reports the "now"
    value of that day had not seen), in date order."""
    points: dict[str, Point] = {}
    for change in backends.indicator_history(indicator_id, territory, NOW):
        points[change.value.as_of] = _point(change.value)
    for series in facts.series:
        if date.fromisoformat(series) <= today:
            history = backends.indicator_history(indicator_id, territory, series)
            if history:
                points[series] = _point(history[-1].value)
    return [points[d] for d in sorted(points)]


def _point(value: Any) -> Point:
    return Point(value.as_of, "" if value.suppressed else value.value, value.suppressed)


def by_district(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Every territory's row of each indicator, keyed by indicator id."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        out.setdefault(str(row["indicator_id"]), []).append(row)
    return out


def all_territories(backends: Backends, territory: str, as_of: str) -> list[dict[str, Any]]:
    """The rows of one territory, or of every one when territory is ""."""
    return [indicator_row(v) for v in backends.list_indicators(territory, as_of)]


@dataclass(frozen=True)
class Gathered:
    rows: list[dict[str, Any]]                       # the view's rows, as the JSON API's
    updated: datetime | None
    histories: dict[str, list[Point]]                # indicator id -> its points over time
    districts: dict[str, list[Mapping[str, Any]]]    # indicator id -> every territory's row


def gather(backends: Backends, facts: PlanFacts, territory: str, series: str,
           time_zone: str) -> Gathered:
    """Everything the page shows of one territory and one date ("now" or a year end)."""
    as_of = "" if series == NOW else series
    # The city's page lists its districts too: one call brings every territory.
    every = all_territories(backends, "" if territory == CITY else territory, as_of)
    rows = [r for r in every if r["territory"] == territory]
    day = today(time_zone)
    ids = [str(r["indicator_id"]) for r in rows]
    # Four short history reads per indicator: side by side, so the page waits for the
    # slowest few rather than for all of them in turn (gRPC channels are thread-safe).
    with ThreadPoolExecutor(max_workers=HISTORY_READERS) as pool:
        histories = dict(zip(ids, pool.map(
            lambda i: series_points(backends, facts, i, territory, day), ids), strict=True))
    districts = by_district(every) if territory == CITY else {}
    return Gathered(rows, last_updated(backends, time_zone), histories, districts)

"""Indicator series in the manner of the World Bank API: indicator x territory x range of
years, or the most recent values, answered as `[page metadata, rows]`.

    /api/v1/series?indicator=tech_smes;little_giants&territory=440703&date=2022:2024
    /api/v1/series?indicator=tech_smes&mrv=1

A row is a year-end value of the plan (`date` is the year). `mrv=N` keeps the N most recent
years of each series, `mrnev=N` the N most recent with a value (withheld and unavailable
values skipped); `page` and `per_page` (at most 1000) page through the rows; `lastupdated`
is the day the newest change was recorded; `format=json` is accepted as World Bank clients send it.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from services.opendata import params
from services.opendata.backends import Backends
from services.opendata.errors import bad_parameter
from services.opendata.responses import json_response
from services.opendata.sdmx_vintage import Observation, first_last, observation
from yinling.plan import Plan, active_plan
from yinling.territory import name_of
from yinling.v1 import indicators_pb2

PER_PAGE, MAX_PER_PAGE = 50, 1000


def _codes(value: str | None, field: str) -> set[str]:
    """`a;b` as the World Bank writes several; empty or `all` is every one."""
    if not value or value == "all":
        return set()
    return {params.code(v, field) if field == "indicator" else params.territory(v, field)
            for v in value.split(";")}


def _years(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    start, _, end = value.partition(":")
    if not (start.isdigit() and len(start) == 4 and (not end or (end.isdigit() and len(end) == 4))):
        raise bad_parameter("date", f"{value!r} is not a year or a range of years (2022 or 2022:2024)")
    first, last = int(start), int(end or start)
    if first > last:
        raise bad_parameter("date", f"{value!r} ends before it starts")
    return first, last


def _positive(value: str | None, field: str, maximum: int | None = None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1 or (maximum and int(value) > maximum):
        raise bad_parameter(field, f"must be a whole number from 1{f' to {maximum}' if maximum else ''}")
    return int(value)


def _number(value: str) -> float | None:
    return None if value == "" else float(value)


def row(o: Observation, names: dict[str, str]) -> dict[str, Any]:
    return {"indicator": {"id": o.indicator, "value": names.get(o.indicator, o.indicator)},
            "territory": {"id": o.territory, "value": name_of(o.territory)[1]},
            "date": o.period, "value": _number(o.value), "unit": o.unit,
            "obs_status": "C" if o.suppressed else "", "target": _number(o.target), "status": o.status}


def select(values: list[tuple[str, indicators_pb2.IndicatorValue]], indicators: set[str],
           territories: set[str], years: tuple[int, int] | None, mrv: int | None,
           mrnev: int | None) -> list[Observation]:
    cells = [observation(v, series) for series, v in values
             if (not indicators or v.indicator_id in indicators)
             and (not territories or v.territory in territories)]
    if years:
        cells = [o for o in cells if years[0] <= int(o.period) <= years[1]]
    if mrnev:
        cells = first_last([o for o in cells if o.value], None, mrnev)
    if mrv:
        cells = first_last(cells, None, mrv)
    return sorted(cells, key=lambda o: (o.indicator, o.territory, -int(o.period)))


def add_series_routes(app: FastAPI, backends: Callable[[Request], Backends],
                      plans: Callable[[], list[Plan]], versioned: list[Any]) -> None:
    @app.get("/api/v1/series", dependencies=versioned)
    def series(request: Request, indicator: str | None = None, territory: str | None = None,
               date: str | None = None, mrv: str | None = None, mrnev: str | None = None,
               page: str | None = None, per_page: str | None = None,
               format: str | None = None) -> Response:  # noqa: A002 (the World Bank's name)
        if format not in (None, "json"):
            raise bad_parameter("format", f"{format!r} is not served; the series are JSON (format=json)")
        wanted, places = _codes(indicator, "indicator"), _codes(territory, "territory")
        years, recent = _years(date), _positive(mrv, "mrv")
        non_empty = _positive(mrnev, "mrnev")
        if years and (recent or non_empty):
            raise bad_parameter("date", "give either date or mrv/mrnev, not both")
        number, size = _positive(page, "page") or 1, _positive(per_page, "per_page", MAX_PER_PAGE) or PER_PAGE
        plan = active_plan(plans())
        names = {i.id: i.name_en for i in plan.indicators}
        unknown = sorted(wanted - names.keys())
        if unknown:
            raise bad_parameter("indicator", f"unknown indicator {unknown[0]!r} in plan {plan.id!r}")
        values = [(day.isoformat(), v) for day in plan.series
                  for v in backends(request).list_indicators("", day.isoformat(), plan.id)
                  if v.indicator_id in names]
        cells = select(values, wanted, places, years, recent, non_empty)
        total = len(cells)
        rows = [row(o, names) for o in cells[(number - 1) * size: number * size]]
        latest = backends(request).latest_change().recorded_at
        meta = {"page": number, "pages": math.ceil(total / size), "per_page": size, "total": total,
                "sourceid": plan.id, "lastupdated": latest[:10]}
        return json_response(request, [meta, rows])

"""IndicatorService: the indicators database read through the engine's queries.

Requests are validated here, naming the field; the engine is only asked well-formed
questions. Watch and ListChanges read the change log: a change is committed before it is
visible, so a client that resumes after its last cursor misses nothing and sees nothing twice.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

import grpc

from services.indicators.access import POLICY
from yinling.dates import parse_date
from yinling.envelope import format_time
from yinling.errors import ValidationError
from yinling.grpc_server import ServiceBinding
from yinling.plan import Plan, active_plan
from yinling.territory import CITY
from yinling.v1 import indicators_pb2 as pb
from yinling.v1 import indicators_pb2_grpc as pb_grpc

WATCH_POLL_S = 0.2
WATCH_PAGE = 500
CHANGES_PAGE, CHANGES_MAX = 500, 5000


class IndicatorQueries(Protocol):
    def value(self, plan_id: str, indicator_id: str, territory: str, as_of: date | None) -> Any: ...
    def values(self, plan_id: str, territory: str | None, as_of: date | None) -> list[Any]: ...
    def history(self, plan_id: str, indicator_id: str, territory: str, series: str) -> list[Any]: ...
    def changes_after(self, cursor: int, indicator_ids: set[str], territories: set[str],
                      limit: int = 500) -> list[Any]: ...
    def latest_cursor(self) -> int: ...
    def latest_change(self) -> tuple[int, datetime | None]: ...


class IndicatorService(pb_grpc.IndicatorServiceServicer):
    def __init__(self, engine: IndicatorQueries, plans: list[Plan],
                 stopping: threading.Event | None = None) -> None:
        self.engine = engine
        self.plans = {p.id: p for p in plans}
        self.default_plan = active_plan(plans)
        self.stopping = stopping or threading.Event()

    # -- validation ----------------------------------------------------------
    def _plan(self, plan_id: str) -> Plan:
        if not plan_id:
            return self.default_plan
        if plan_id not in self.plans:
            raise ValidationError("plan_id", f"unknown plan {plan_id!r}; known: {sorted(self.plans)}")
        return self.plans[plan_id]

    @staticmethod
    def _indicator(plan: Plan, indicator_id: str, field: str = "indicator_id") -> str:
        if not indicator_id:
            raise ValidationError(field, "is required")
        if indicator_id not in {i.id for i in plan.indicators}:
            raise ValidationError(field, f"unknown indicator {indicator_id!r} in plan {plan.id!r}")
        return indicator_id

    @staticmethod
    def _territory(plan: Plan, territory: str, field: str = "territory") -> str:
        if territory not in plan.territories:
            raise ValidationError(field, f"unknown territory {territory!r}; "
                                         f"expected one of {sorted(plan.territories)}")
        return territory

    @staticmethod
    def _series(plan: Plan, as_of: str) -> str:
        if not as_of or as_of == "now":
            return "now"
        parse_date(as_of, "as_of")
        if as_of not in plan.series_names():
            raise ValidationError("as_of", f"no series {as_of!r}; expected one of {plan.series_names()}")
        return as_of

    def _filters(self, indicator_ids: Sequence[str],
                 territories: Sequence[str]) -> tuple[set[str], set[str]]:
        """Change-log filters of any plan, each unknown one named by its position."""
        known_ids = {i.id for p in self.plans.values() for i in p.indicators}
        known_places = {t for p in self.plans.values() for t in p.territories}
        for n, indicator_id in enumerate(indicator_ids):
            if indicator_id not in known_ids:
                raise ValidationError(f"indicator_ids[{n}]", f"unknown indicator {indicator_id!r}")
        for n, territory in enumerate(territories):
            if territory not in known_places:
                raise ValidationError(f"territories[{n}]", f"unknown territory {territory!r}")
        return set(indicator_ids), set(territories)

    # -- rpcs ----------------------------------------------------------------
    def Get(self, request: pb.GetIndicatorRequest, context: grpc.ServicerContext) -> pb.IndicatorValue:
        plan = self._plan(request.plan_id)
        indicator = self._indicator(plan, request.indicator_id)
        territory = self._territory(plan, request.territory or CITY)
        as_of = parse_date(request.as_of, "as_of", required=False)
        return self.engine.value(plan.id, indicator, territory, as_of)

    def List(self, request: pb.ListIndicatorsRequest,
             context: grpc.ServicerContext) -> pb.ListIndicatorsResponse:
        plan = self._plan(request.plan_id)
        territory = self._territory(plan, request.territory) if request.territory else None
        as_of = parse_date(request.as_of, "as_of", required=False)
        return pb.ListIndicatorsResponse(values=self.engine.values(plan.id, territory, as_of))

    def History(self, request: pb.IndicatorHistoryRequest,
                context: grpc.ServicerContext) -> pb.IndicatorHistoryResponse:
        plan = self._plan(request.plan_id)
        indicator = self._indicator(plan, request.indicator_id)
        territory = self._territory(plan, request.territory or CITY)
        series = self._series(plan, request.as_of)
        return pb.IndicatorHistoryResponse(
            points=self.engine.history(plan.id, indicator, territory, series))

    def Watch(self, request: pb.WatchIndicatorsRequest,
              context: grpc.ServicerContext) -> Iterator[pb.IndicatorChanged]:
        ids, places = self._filters(request.indicator_ids, request.territories)
        if request.after_cursor < 0:
            raise ValidationError("after_cursor", "must be 0 (from now on) or a cursor received")
        cursor = request.after_cursor or self.engine.latest_cursor()
        while context.is_active() and not self.stopping.is_set():
            changes = self.engine.changes_after(cursor, ids, places, limit=WATCH_PAGE)
            for change in changes:
                yield change
                cursor = change.cursor
            if len(changes) < WATCH_PAGE:
                self.stopping.wait(WATCH_POLL_S)

    def ListChanges(self, request: pb.ListIndicatorChangesRequest,
                    context: grpc.ServicerContext) -> pb.ListIndicatorChangesResponse:
        """One page after a cursor; 0 starts at the first change (unlike Watch, which
        starts from now): a poller that passes back next_cursor sees every change once."""
        if request.after_cursor < 0:
            raise ValidationError("after_cursor", "must be 0 (from the start) or a cursor received")
        if not 0 <= request.limit <= CHANGES_MAX:
            raise ValidationError("limit", f"must be between 1 and {CHANGES_MAX} (0: {CHANGES_PAGE})")
        ids, places = self._filters(request.indicator_ids, request.territories)
        changes = self.engine.changes_after(request.after_cursor, ids, places,
                                            limit=request.limit or CHANGES_PAGE)
        return pb.ListIndicatorChangesResponse(
            changes=changes, next_cursor=changes[-1].cursor if changes else request.after_cursor)

    def LatestChange(self, request: pb.LatestChangeRequest,
                     context: grpc.ServicerContext) -> pb.LatestChangeResponse:
        cursor, recorded_at = self.engine.latest_change()
        return pb.LatestChangeResponse(cursor=cursor,
                                       recorded_at=_rfc3339(recorded_at))


def binding(engine: IndicatorQueries, plans: list[Plan],
            stopping: threading.Event | None = None) -> ServiceBinding:
    return ServiceBinding(
        full_name=pb.DESCRIPTOR.services_by_name["IndicatorService"].full_name,
        add_to_server=pb_grpc.add_IndicatorServiceServicer_to_server,
        servicer=IndicatorService(engine, plans, stopping),
        policy=POLICY,
    )


def _rfc3339(moment: datetime | None) -> str:
    if moment is None:
        return ""
    # SQLite gives back the stored UTC time without its zone.
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))

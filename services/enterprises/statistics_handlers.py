"""Reporting a regional statistic in one transaction: the current figure, the revision row,
the outbox event and the request_id answer commit together."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.enterprises import regional
from services.enterprises.store import RegionalStatisticRecord, RegionalStatisticRevision
from yinling.aggregate_store import run_command, update_versioned
from yinling.dates import today_in_city
from yinling.envelope import event_type
from yinling.errors import Conflict
from yinling.outbox import record_event
from yinling.topics import STATISTICS_EVENTS
from yinling.v1.enterprises_pb2 import (
    ListRegionalStatisticsRequest,
    RegionalStatistic,
    ReportRegionalStatisticRequest,
    StatisticReported,
)

SOURCE = "/yinling/enterprises"


class StatisticsHandlers:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_commit = on_commit

    def report(self, request: ReportRegionalStatisticRequest, actor: str) -> RegionalStatistic:
        def body(s: Session) -> RegionalStatistic:
            now = datetime.now(UTC)
            key = regional.key_of(regional.checked(request.statistic, today_in_city(now)))
            row = s.get(RegionalStatisticRecord, key)
            current = RegionalStatistic.FromString(row.snapshot) if row else None
            outcome = regional.report(current, request, today_in_city(now))
            if outcome is None:  # the same figure again: nothing to record but the answer
                assert current is not None
                return current
            new = outcome.statistic
            values = {"version": new.version, "snapshot": new.SerializeToString()}
            if row is None:
                s.add(RegionalStatisticRecord(key=key, territory=new.territory, year=new.year,
                                              measure=new.measure, **values))
                try:
                    s.flush()
                except IntegrityError:
                    raise Conflict("statistic", f"{key} was reported by another command; retry") from None
            else:
                update_versioned(s, RegionalStatisticRecord, "key", key, row.version, values)
            payload = StatisticReported(statistic=new, change=outcome.change, actor=actor,
                                        reason=outcome.reason)
            event = record_event(s, topic=STATISTICS_EVENTS.name, key=key,
                                 ce_type=event_type("statistic", outcome.change), source=SOURCE,
                                 subject=key, payload=payload, sequence=new.version, at=now)
            s.add(RegionalStatisticRevision(key=key, revision=new.revision, change=outcome.change,
                                            recorded_at=now, actor=actor, reason=outcome.reason,
                                            event_id=event.event_id, snapshot=new.SerializeToString()))
            return new
        return run_command(self.sessions, self.on_commit, request=request,
                           command="report_statistic", answer=RegionalStatistic, body=body)

    def list(self, request: ListRegionalStatisticsRequest) -> list[RegionalStatistic]:
        """Current figures by territory, year, measure; with include_revisions, the replaced too."""
        model = RegionalStatisticRevision if request.include_revisions else RegionalStatisticRecord
        query = select(model.snapshot)
        if request.include_revisions:
            query = query.join(RegionalStatisticRecord, RegionalStatisticRecord.key == model.key)
        if request.territory:
            query = query.where(RegionalStatisticRecord.territory == request.territory)
        if request.year:
            query = query.where(RegionalStatisticRecord.year == request.year)
        if request.measure:
            query = query.where(RegionalStatisticRecord.measure == request.measure)
        order: list[Any] = [RegionalStatisticRecord.key]
        if request.include_revisions:
            order.append(RegionalStatisticRevision.revision)
        with self.sessions() as s:
            return [RegionalStatistic.FromString(b) for b in s.scalars(query.order_by(*order))]

"""Enterprise commands, each in one transaction: state, history row, outbox event and the
request_id answer commit together, or (on any error) nothing does."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from yinling.commands import previous_response, remember_response
from yinling.credit_code import validate_credit_code
from yinling.dates import today_in_city
from yinling.envelope import event_type
from yinling.errors import NotFound, ValidationError
from yinling.outbox import record_event
from yinling.topics import ENTERPRISE_EVENTS
from yinling.v1.enterprises_pb2 import Enterprise, EnterpriseChanged

from services.enterprises import domain, qualifications
from services.enterprises.domain import Change
from services.enterprises.store import (EnterpriseHistory, EnterpriseRecord, kinds_column,
                                        update_versioned)

SOURCE = "/yinling/enterprises"


class EnterpriseHandlers:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_commit = on_commit

    def register(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        with self.sessions.begin() as s:
            prior = previous_response(s, request.request_id)
            if prior is not None:
                return Enterprise.FromString(prior)
            now = datetime.now(timezone.utc)
            change = domain.register(request, today_in_city(now), now)
            code = change.enterprise.credit_code
            if s.get(EnterpriseRecord, code) is not None:
                raise ValidationError("credit_code", f"{code} is already registered")
            s.add(EnterpriseRecord(credit_code=code, **_columns(change.enterprise)))
            try:
                s.flush()  # a concurrent registration of the same code loses here
            except IntegrityError:
                raise ValidationError("credit_code", f"{code} is already registered") from None
            self._record(s, change, actor, now)
            remember_response(s, request.request_id, "register", change.enterprise.SerializeToString())
        self.on_commit()
        return change.enterprise

    def move(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        return self._execute("move", request, actor, lambda e, today, now: domain.move(e, request, today, now))

    def correct(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        return self._execute("correct", request, actor, lambda e, _today, now: domain.correct(e, request, now))

    def report_statistics(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        return self._execute("report_statistics", request, actor,
                             lambda e, today, now: domain.report_statistics(e, request, today, now))

    def grant(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        return self._execute("grant_qualification", request, actor,
                             lambda e, today, now: qualifications.grant(e, request, today, now))

    def renew(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        return self._execute("renew_qualification", request, actor,
                             lambda e, today, now: qualifications.renew(e, request, today, now))

    def revoke(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        return self._execute("revoke_qualification", request, actor,
                             lambda e, today, now: qualifications.revoke(e, request, today, now))

    def _execute(self, command: str, request, actor: str,  # type: ignore[no-untyped-def]
                 apply: Callable[[Enterprise, object, datetime], Change]) -> Enterprise:
        with self.sessions.begin() as s:
            prior = previous_response(s, request.request_id)
            if prior is not None:
                return Enterprise.FromString(prior)
            code = validate_credit_code(request.credit_code)
            row = s.get(EnterpriseRecord, code)
            if row is None:
                raise NotFound("enterprise", code)
            now = datetime.now(timezone.utc)
            change = apply(Enterprise.FromString(row.snapshot), today_in_city(now), now)
            update_versioned(s, EnterpriseRecord, "credit_code", code, row.version,
                             _columns(change.enterprise))
            self._record(s, change, actor, now)
            remember_response(s, request.request_id, command, change.enterprise.SerializeToString())
        self.on_commit()
        return change.enterprise

    @staticmethod
    def _record(s: Session, change: Change, actor: str, now: datetime) -> None:
        e = change.enterprise
        payload = EnterpriseChanged(enterprise=e, change=change.change, reason=change.reason,
                                    actor=actor, corrected_fields=change.corrected_fields)
        event = record_event(s, topic=ENTERPRISE_EVENTS.name, key=e.credit_code,
                             ce_type=event_type("enterprise", change.change), source=SOURCE,
                             subject=e.credit_code, payload=payload, sequence=e.version, at=now)
        s.add(EnterpriseHistory(credit_code=e.credit_code, version=e.version, change=change.change,
                                recorded_at=now, actor=actor, reason=change.reason,
                                corrected_fields=",".join(change.corrected_fields),
                                event_id=event.event_id, snapshot=e.SerializeToString()))


def _columns(e: Enterprise) -> dict[str, object]:
    return {"name": e.name, "district": e.district, "version": e.version,
            "qualification_kinds": kinds_column({q.kind for q in e.qualifications}),
            "snapshot": e.SerializeToString()}

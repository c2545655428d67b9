"""Enterprise commands, each in one transaction: state, history row, outbox event and the
request_id answer commit together, or (on any error) nothing does."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.enterprises import domain, qualifications
from services.enterprises.domain import Change
from services.enterprises.store import EnterpriseHistory, EnterpriseRecord, kinds_column
from yinling.aggregate_store import ChangeLog, run_command, update_versioned
from yinling.credit_code import validate_credit_code
from yinling.dates import today_in_city
from yinling.errors import NotFound, ValidationError
from yinling.topics import ENTERPRISE_EVENTS
from yinling.v1.enterprises_pb2 import Enterprise, EnterpriseChanged

SOURCE = "/yinling/enterprises"
CHANGES = ChangeLog(ENTERPRISE_EVENTS.name, SOURCE, "enterprise", EnterpriseHistory)


class EnterpriseHandlers:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_commit = on_commit

    def register(self, request, actor: str) -> Enterprise:  # type: ignore[no-untyped-def]
        def body(s: Session) -> Enterprise:
            now = datetime.now(UTC)
            change = domain.register(request, today_in_city(now), now)
            code = change.enterprise.credit_code
            if s.get(EnterpriseRecord, code) is not None:
                raise ValidationError("credit_code", f"{code} is already registered")
            s.add(EnterpriseRecord(credit_code=code, **_columns(change.enterprise)))
            try:
                s.flush()  # a concurrent registration of the same code loses here
            except IntegrityError:
                raise ValidationError("credit_code", f"{code} is already registered") from None
            return _record(s, change, actor, now)
        return run_command(self.sessions, self.on_commit, request=request,
                           command="register", answer=Enterprise, body=body)

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
                 apply: Callable[[Enterprise, date, datetime], Change]) -> Enterprise:
        def body(s: Session) -> Enterprise:
            code = validate_credit_code(request.credit_code)
            row = s.get(EnterpriseRecord, code)
            if row is None:
                raise NotFound("enterprise", code)
            now = datetime.now(UTC)
            change = apply(Enterprise.FromString(row.snapshot), today_in_city(now), now)
            update_versioned(s, EnterpriseRecord, "credit_code", code, row.version,
                             _columns(change.enterprise))
            return _record(s, change, actor, now)
        return run_command(self.sessions, self.on_commit, request=request,
                           command=command, answer=Enterprise, body=body)


def _record(s: Session, change: Change, actor: str, now: datetime) -> Enterprise:
    e = change.enterprise
    payload = EnterpriseChanged(enterprise=e, change=change.change, reason=change.reason,
                                actor=actor, corrected_fields=change.corrected_fields)
    CHANGES.record(s, key=e.credit_code, snapshot=e, version=e.version, change=change.change,
                   actor=actor, reason=change.reason, corrected=change.corrected_fields,
                   payload=payload, at=now)
    return e


def _columns(e: Enterprise) -> dict[str, object]:
    return {"name": e.name, "district": e.district, "version": e.version,
            "qualification_kinds": kinds_column({q.kind for q in e.qualifications}),
            "snapshot": e.SerializeToString()}

"""Commands of the talent registry, each in one transaction: state, history, outbox event
and the idempotency answer commit together, or nothing does."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.talent import domain
from services.talent.identity import pseudonym
from services.talent.store import TalentHistoryRow, TalentPersonRow, TalentRow
from yinling.aggregate_store import ChangeLog, run_command, update_versioned
from yinling.envelope import format_time
from yinling.errors import Conflict, NotFound, ValidationError
from yinling.topics import TALENT_EVENTS
from yinling.v1.talent_pb2 import (
    CorrectTalentRequest,
    EndTalentRequest,
    RegisterTalentRequest,
    TalentChanged,
    TalentPerson,
    TalentRecord,
)

SOURCE = "/yinling/talent"
CHANGES = ChangeLog(TALENT_EVENTS.name, SOURCE, "talent", TalentHistoryRow)
DUPLICATE = ("person.identity_number", "this person or team already has a current record in this "
             "category; end it before registering again")


def new_record_id() -> str:
    return "tal-" + secrets.token_hex(12)


def _current_key(record: TalentRecord) -> str | None:
    return None if record.ended_on else f"{record.category}:{record.subject_pseudonym}"


class TalentHandlers:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None],
                 pseudonymise: Callable[[str], str] = pseudonym) -> None:
        self.sessions = sessions
        self.on_commit = on_commit
        self.pseudonymise = pseudonymise

    def register(self, cmd: RegisterTalentRequest, actor: str) -> TalentRecord:
        def apply(s: Session, now: datetime) -> domain.Outcome:
            out = domain.register(cmd, new_record_id(), format_time(now), self.pseudonymise)
            self._refuse_duplicate(s, out.record)
            s.add(TalentRow(id=out.record.id, version=0, snapshot=b"", **self._columns(out.record)))
            s.flush()  # no relationship() orders the inserts: the record goes first
            s.add(TalentPersonRow(record_id=out.record.id, person=out.person.SerializeToString()))
            s.flush()
            return out
        return self._run("register", cmd, actor, "", apply)

    def end(self, cmd: EndTalentRequest, actor: str) -> TalentRecord:
        def apply(s: Session, now: datetime) -> domain.Outcome:
            record, person = self._load(s, cmd.record_id)
            return domain.end(record, person, cmd, format_time(now))
        return self._run("end", cmd, actor, cmd.reason.strip(), apply)

    def correct(self, cmd: CorrectTalentRequest, actor: str) -> TalentRecord:
        def apply(s: Session, now: datetime) -> domain.Outcome:
            record, person = self._load(s, cmd.record_id)
            out = domain.correct(record, person, cmd, format_time(now), self.pseudonymise)
            if _current_key(out.record) != _current_key(record):
                self._refuse_duplicate(s, out.record)
            return out
        return self._run("correct", cmd, actor, cmd.reason.strip(), apply)

    # -- one transaction ---------------------------------------------------
    def _run(self, command: str, request: Message, actor: str, reason: str,
             apply: Callable[[Session, datetime], domain.Outcome]) -> TalentRecord:
        def body(s: Session) -> TalentRecord:
            now = datetime.now(UTC)
            out = apply(s, now)
            self._write(s, out, actor, reason, now)
            return out.record
        try:
            return run_command(self.sessions, self.on_commit, request=request,
                               command=command, answer=TalentRecord, body=body)
        except IntegrityError as exc:
            # Its message carries the statement's parameters: never let it reach a log.
            if "current_key" in str(exc.orig):
                raise ValidationError(*DUPLICATE) from None
            raise Conflict("record_id", "a concurrent command changed the same record; retry") \
                from None
        except DBAPIError as exc:
            raise RuntimeError(f"talent {command}: database error {type(exc.orig).__name__}") from None

    def _write(self, s: Session, out: domain.Outcome, actor: str, reason: str,
               now: datetime) -> None:
        record = out.record
        update_versioned(s, TalentRow, "id", record.id, record.version - 1,
                         dict(version=record.version, snapshot=record.SerializeToString(),
                              **self._columns(record)),
                         "the record was changed by another command; retry")
        s.execute(update(TalentPersonRow).where(TalentPersonRow.record_id == record.id)
                  .values(person=out.person.SerializeToString()))
        CHANGES.record(s, key=record.id, snapshot=record, version=record.version,
                       change=out.change, actor=actor, reason=reason,
                       corrected=out.corrected_fields, at=now,
                       # The reason stays in the history table: free text never leaves the
                       # service on a topic, whatever it holds.
                       payload=TalentChanged(record=record, change=out.change, actor=actor))

    @staticmethod
    def _columns(record: TalentRecord) -> dict[str, object]:
        return dict(subject_pseudonym=record.subject_pseudonym, category=record.category,
                    district=record.district, recognised_on=record.recognised_on,
                    current_key=_current_key(record))

    @staticmethod
    def _load(s: Session, record_id: str) -> tuple[TalentRecord, TalentPerson]:
        row = s.get(TalentRow, record_id.strip())
        person = s.get(TalentPersonRow, record_id.strip())
        if row is None or person is None:
            raise NotFound("talent record", record_id)
        return TalentRecord.FromString(row.snapshot), TalentPerson.FromString(person.person)

    @staticmethod
    def _refuse_duplicate(s: Session, record: TalentRecord) -> None:
        key = _current_key(record)
        if key and s.query(TalentRow.id).filter(TalentRow.current_key == key).first():
            raise ValidationError(*DUPLICATE)

"""Taking a submission: validate the whole file, then store the submission (accepted with its
rows, or rejected with its errors) and its events in one transaction. A table already
accepted (the same validated rows, whatever the file format) or a submission_id already used
is answered with the submission it made: nothing is applied twice."""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.ingest import events
from services.ingest.kinds import kinds
from services.ingest.store import SubmissionRecord, SubmissionRow
from services.ingest.validate import Outcome, validate
from yinling.bounds import clean_code
from yinling.dates import today_in_city
from yinling.errors import NotFound, ValidationError, shown
from yinling.v1 import ingest_pb2 as pb

INSERT_ROWS = 2_000  # rows per INSERT statement


def submit(sessions: sessionmaker, header: pb.UploadHeader, content: bytes, actor: str,
           on_commit: Callable[[], None] = lambda: None) -> pb.Submission:
    kind = kinds().get(header.kind)
    if kind is None:
        raise ValidationError("kind", f"{shown(header.kind)} is not one of {', '.join(kinds())}")
    if not content:
        raise ValidationError("content", "the file is empty")
    sha256 = hashlib.sha256(content).hexdigest()
    client_id = clean_code(header.submission_id, "submission_id", 40) if header.submission_id else ""
    if client_id:
        with sessions() as session:
            earlier = session.get(SubmissionRecord, client_id)
            if earlier is not None:
                return _same_upload(session, earlier, header.kind, sha256)
    outcome = validate(kind, content, today_in_city(), sheet=header.sheet, reason=header.reason)
    with sessions() as session:
        if outcome.digest:
            earlier = session.scalars(select(SubmissionRecord).where(
                SubmissionRecord.digest == outcome.digest, SubmissionRecord.status != "rejected")).first()
            if earlier is not None:
                return describe(session, earlier)
    accepted = not outcome.error_count
    submission_id = client_id or (f"sub-{outcome.digest[:24]}" if accepted else f"rej-{uuid.uuid4().hex[:20]}")
    record = SubmissionRecord(
        id=submission_id, kind=kind.name, status="accepted" if accepted else "rejected", sha256=sha256,
        digest=outcome.digest, format=outcome.format, reason=header.reason, actor=actor,
        partial=header.partial, received_at=datetime.now(UTC), rows=len(outcome.rows),
        error_count=outcome.error_count, errors=json.dumps([asdict(e) for e in outcome.errors],
                                                           ensure_ascii=False),
        content=b"" if kind.personal else content)  # a file of personal data is not kept
    try:
        with sessions.begin() as session:
            session.add(record)
            session.flush()
            _add_rows(session, submission_id, outcome)
            answer = describe(session, record)
            events.record(session, answer, "received")
            events.record(session, answer, "validated" if accepted else "rejected")
    except IntegrityError:  # the same upload racing this one won: answer as it did
        with sessions() as session:
            earlier = session.get(SubmissionRecord, submission_id)
            if earlier is None:
                raise
            if outcome.digest and earlier.digest == outcome.digest:  # the same table, maybe another format
                return describe(session, earlier)
            return _same_upload(session, earlier, header.kind, sha256)
    on_commit()
    return answer


def _add_rows(session: Session, submission_id: str, outcome: Outcome) -> None:
    rows = outcome.rows
    for start in range(0, len(rows), INSERT_ROWS):
        session.execute(insert(SubmissionRow), [
            {"submission_id": submission_id, "row": number, "payload": payload.decode(), "refusal": "",
             "refusal_column": ""} for number, payload in rows[start:start + INSERT_ROWS]])


def _same_upload(session: Session, earlier: SubmissionRecord, kind: str, sha256: str) -> pb.Submission:
    if earlier.kind != kind or earlier.sha256 != sha256:
        raise ValidationError("submission_id", f"{earlier.id} was used for another file; use a new "
                                               "submission_id for each file")
    return describe(session, earlier)


def describe(session: Session, record: SubmissionRecord, *, details: bool = True) -> pb.Submission:
    session.flush()
    applied, refused = session.execute(select(
        func.count(SubmissionRow.applied_at),
        func.count().filter(SubmissionRow.refusal != "")).where(
        SubmissionRow.submission_id == record.id)).one()
    submission = pb.Submission(
        id=record.id, kind=record.kind, status=record.status, rows=record.rows,
        applied=(applied or 0) - (refused or 0), refused=refused or 0, error_count=record.error_count,
        received_at=record.received_at.isoformat(), actor=record.actor, sha256=record.sha256,
        digest=record.digest, format=record.format, partial=record.partial)
    if details:
        submission.errors.extend(pb.RowError(**e) for e in json.loads(record.errors))
        submission.refusals.extend(pb.RowError(row=r.row, column=r.refusal_column, reason=r.refusal)
                                   for r in session.scalars(select(SubmissionRow).where(
                                       SubmissionRow.submission_id == record.id,
                                       SubmissionRow.refusal != "").order_by(SubmissionRow.row).limit(1000)))
    return submission


def get(sessions: sessionmaker, submission_id: str) -> pb.Submission:
    with sessions() as session:
        record = session.get(SubmissionRecord, submission_id)
        if record is None:
            raise NotFound("submission", submission_id)
        return describe(session, record)


def recent(sessions: sessionmaker, limit: int) -> list[pb.Submission]:
    with sessions() as session:
        records = session.scalars(select(SubmissionRecord).order_by(SubmissionRecord.received_at.desc())
                                  .limit(min(limit or 50, 500))).all()
        return [describe(session, r, details=False) for r in records]


"""Accepting a batch: validate the whole table, then store batch and rows in one transaction."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.store import Batch, BatchRow
from services.ingest.tables import TableError, parse_regional_statistics
from yinling.aggregate_store import run_command
from yinling.commands import previous_response, request_digest
from yinling.dates import today_in_city
from yinling.errors import NotFound, ValidationError, shown
from yinling.v1 import ingest_pb2 as pb

TABLES = {"regional_statistics": parse_regional_statistics}
COMMAND = "IngestTable"


def ingest_table(sessions: sessionmaker, request: pb.IngestTableRequest, actor: str) -> pb.IngestBatch:
    parse = TABLES.get(request.table)
    if parse is None:
        raise ValidationError("table", f"{shown(request.table)} is not one of {', '.join(TABLES)}")
    if not request.content:
        raise ValidationError("content", "is empty")
    with sessions() as session:  # a retried upload is answered before it is parsed again
        earlier = previous_response(session, request.request_id, COMMAND, request_digest(request))
        if earlier is not None:
            return pb.IngestBatch.FromString(earlier)
    try:
        rows = parse(request.content, request.source)
    except TableError as exc:
        first = exc.errors[0]
        raise ValidationError(f"content: row {first.row}, column {first.column}", str(exc)) from None
    batch_id = "ing-" + uuid.uuid4().hex[:12]

    def body(session: Session) -> pb.IngestBatch:
        batch = Batch(id=batch_id, table=request.table, sha256=hashlib.sha256(request.content).hexdigest(),
                      content=request.content, source=request.source, reason=request.reason,
                      actor=actor, accepted_at=datetime.now(UTC), rows=len(rows))
        session.add(batch)
        # A row without reported_on was reported when the batch came in.
        received = today_in_city().isoformat()
        session.add_all(BatchRow(batch_id=batch_id, row=r.row, refusal="",
                                 payload=json.dumps(asdict(r) | {"reported_on": r.reported_on or received}))
                        for r in rows)
        return describe(session, batch)
    return run_command(sessions, lambda: None, request=request, command=COMMAND,
                       answer=pb.IngestBatch, body=body)


def describe(session: Session, batch: Batch) -> pb.IngestBatch:
    session.flush()
    forwarded = session.scalar(select(func.count()).select_from(BatchRow).where(
        BatchRow.batch_id == batch.id, BatchRow.forwarded_at.is_not(None))) or 0
    refused_rows = session.scalars(select(BatchRow).where(
        BatchRow.batch_id == batch.id, BatchRow.refusal != "").order_by(BatchRow.row)).all()
    status = "accepted" if forwarded == 0 else "done" if forwarded == batch.rows else "forwarding"
    return pb.IngestBatch(
        id=batch.id, table=batch.table, status=status, rows=batch.rows, forwarded=forwarded,
        accepted_at=batch.accepted_at.isoformat(), actor=batch.actor, sha256=batch.sha256,
        refused=len(refused_rows),
        refusals=[pb.RowError(row=r.row, column="", reason=r.refusal) for r in refused_rows])


def get_batch(sessions: sessionmaker, batch_id: str) -> pb.IngestBatch:
    with sessions() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            raise NotFound("batch", batch_id)
        return describe(session, batch)


def list_batches(sessions: sessionmaker, limit: int) -> list[pb.IngestBatch]:
    with sessions() as session:
        batches = session.scalars(select(Batch).order_by(Batch.accepted_at.desc())
                                  .limit(min(limit or 50, 500))).all()
        return [describe(session, b) for b in batches]

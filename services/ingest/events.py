"""A submission's events, staged in the outbox in the transaction that changes it:
received, then validated or rejected, then applied (with the counts of each)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from yinling.envelope import event_type
from yinling.outbox import record_event
from yinling.topics import INGEST_EVENTS
from yinling.v1 import ingest_pb2 as pb

SOURCE = "/yinling/ingest"
SEQUENCE = {"received": 1, "validated": 2, "rejected": 2, "applied": 3}


def record(session: Session, submission: pb.Submission, change: str) -> None:
    counts = pb.Submission()
    counts.CopyFrom(submission)
    del counts.errors[:]  # counts only: the errors quote the file, and may be many
    del counts.refusals[:]
    record_event(session, topic=INGEST_EVENTS.name, key=submission.id,
                 ce_type=event_type("submission", change), source=SOURCE, subject=submission.id,
                 payload=pb.SubmissionChanged(submission=counts, change=change),
                 sequence=SEQUENCE[change], at=datetime.now(UTC))

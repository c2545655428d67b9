"""A submission's error report as CSV, for the steward to open next to the file: every
validation error kept and every row the owner refused while applying."""
from __future__ import annotations

from yinling.csv_export import to_csv
from yinling.v1 import ingest_pb2 as pb

COLUMNS = ("row", "column", "value", "reason", "stage")


def report_csv(submission: pb.Submission) -> bytes:
    rows = [{"row": e.row, "column": e.column, "value": e.value, "reason": e.reason, "stage": stage}
            for stage, errors in (("validation", submission.errors), ("apply", submission.refusals))
            for e in errors]
    return to_csv(rows, COLUMNS)

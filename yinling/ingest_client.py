"""`yinling ingest FILE --kind KIND`: a steward uploads a table, sees it validated, and follows
it until applied, with a progress bar; a refused file exits non-zero with its errors summed up
by column and listed, and the whole report can be written as CSV."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import click
import grpc
from tqdm import tqdm

from yinling import tls
from yinling.auth import bearer
from yinling.config import Settings
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc

CHUNK = 1024 * 1024
FINAL = ("rejected", "applied", "stopped", "applied_with_refusals")
SHOWN_ERRORS = 20


def _parts(header: pb.UploadHeader, content: bytes, bar: tqdm) -> Iterator[pb.UploadRequest]:  # type: ignore[type-arg]
    yield pb.UploadRequest(header=header)
    for start in range(0, len(content), CHUNK):
        chunk = content[start:start + CHUNK]
        bar.update(len(chunk))
        yield pb.UploadRequest(chunk=chunk)


def ingest(settings: Settings, path: str, header: pb.UploadHeader, token: str, report: str = "",
           wait: bool = True, timeout_s: float = 600) -> pb.Submission:
    content = Path(path).read_bytes()
    with tls.channel(settings, settings.address("ingest.grpc")) as channel:
        stub = ingest_pb2_grpc.IngestGatewayStub(channel)
        with tqdm(total=len(content), unit="B", unit_scale=True, desc="upload and validate", leave=False) as bar:
            try:
                submission = stub.Upload(_parts(header, content, bar), metadata=bearer(token),
                                         timeout=timeout_s).submission
            except grpc.RpcError as exc:
                trailers = dict(exc.trailing_metadata() or ())  # type: ignore[attr-defined]
                field = unquote(trailers.get("yinling-field", ""))
                detail = unquote(trailers.get("yinling-reason", "")) or exc.details()  # type: ignore[attr-defined]
                raise click.ClickException(f"refused: {field + ': ' if field else ''}{detail}") from None
        if submission.status == "rejected":
            _summarise(submission)
        else:
            click.echo(f"submission {submission.id}: {submission.rows} rows valid ({submission.format})"
                       + (", already taken before" if submission.status != "accepted" else ""))
            if wait:
                submission = _follow(stub, submission, timeout_s, token)
        if report:
            Path(report).write_bytes(stub.GetSubmissionReport(
                pb.GetSubmissionReportRequest(submission_id=submission.id), metadata=bearer(token)).csv)
            click.echo(f"report written to {report}")
        if submission.status in ("rejected", "stopped", "applied_with_refusals"):
            raise SystemExit(1)
        return submission


def _follow(stub: ingest_pb2_grpc.IngestGatewayStub, submission: pb.Submission, timeout_s: float,
            token: str) -> pb.Submission:
    deadline = time.monotonic() + timeout_s
    with tqdm(total=submission.rows, unit="row", desc="apply") as bar:
        while submission.status not in FINAL and time.monotonic() < deadline:
            time.sleep(0.3)
            submission = stub.GetSubmission(pb.GetSubmissionRequest(submission_id=submission.id),
                                            metadata=bearer(token), timeout=30).submission
            bar.update(submission.applied + submission.refused - bar.n)
    click.echo(f"submission {submission.id}: {submission.status}, {submission.applied}/{submission.rows} "
               f"applied, {submission.refused} refused by the owner")
    for refusal in submission.refusals[:SHOWN_ERRORS]:
        click.echo(f"  row {refusal.row}, column {refusal.column}: {refusal.reason}")
    return submission


def _summarise(submission: pb.Submission) -> None:
    click.echo(f"submission {submission.id} REJECTED: {submission.error_count} error(s); nothing was applied",
               err=True)
    by_column = Counter(e.column or "(row)" for e in submission.errors)
    click.echo("errors by column: " + ", ".join(f"{c} {n}" for c, n in by_column.most_common()), err=True)
    for e in submission.errors[:SHOWN_ERRORS]:
        where = f"row {e.row}" + (f", column {e.column}" if e.column else "")
        click.echo(f"  {where}{' ' + e.value if e.value else ''}: {e.reason}", err=True)
    if submission.error_count > SHOWN_ERRORS:
        click.echo(f"  ... {submission.error_count - SHOWN_ERRORS} more; --report FILE.csv writes them all",
                   err=True)

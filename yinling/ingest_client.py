"""`yinling ingest-table`: a steward uploads a yearbook table and sees it forwarded."""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from urllib.parse import unquote

import click
import grpc

from yinling.auth import bearer
from yinling.config import Settings
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc


def upload(settings: Settings, path: str, table: str, source: str, reason: str, token: str,
           timeout_s: float = 120) -> pb.IngestBatch:
    content = Path(path).read_bytes()
    # The same file uploaded again (a retry) is accepted once.
    request_id = "cli-" + hashlib.sha256(content + table.encode() + reason.encode()).hexdigest()[:32]
    with grpc.insecure_channel(settings.address("ingest.grpc")) as channel:
        stub = ingest_pb2_grpc.IngestGatewayStub(channel)
        try:
            batch = stub.IngestTable(pb.IngestTableRequest(
                table=table, content=content, source=source, reason=reason, request_id=request_id),
                metadata=bearer(token), timeout=30).batch
        except grpc.RpcError as exc:
            trailers = dict(exc.trailing_metadata() or ())  # type: ignore[attr-defined]
            detail = unquote(trailers.get("yinling-reason", "")) or exc.details()  # type: ignore[attr-defined]
            raise click.ClickException(f"refused: {detail}") from None
        click.echo(f"accepted batch {batch.id}: {batch.rows} rows")
        deadline = time.monotonic() + timeout_s
        while batch.status != "done" and time.monotonic() < deadline:
            time.sleep(0.5)
            batch = stub.GetBatch(pb.GetBatchRequest(batch_id=batch.id), timeout=10)
        click.echo(f"batch {batch.id}: {batch.status}, {batch.forwarded}/{batch.rows} forwarded, "
                   f"{batch.refused} refused")
        for refusal in batch.refusals:
            click.echo(f"  row {refusal.row}: {refusal.reason}")
        return batch

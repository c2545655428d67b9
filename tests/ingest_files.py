"""Test support for batch ingest: realistic bureau files built in memory (CSV in UTF-8 or
GB18030, XLSX), the enterprise list of the issue's done-when, and an upload helper."""
from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import grpc
from openpyxl import Workbook
from sqlalchemy import func, select

from services.enterprises.main import MODELS as ENTERPRISE_MODELS
from services.enterprises.main import bindings as enterprise_bindings
from services.ingest.main import start as start_ingest
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.credit_code import make_credit_code
from yinling.outbox import OutboxRecord
from yinling.service import start_service
from yinling.topics import AUDIT
from yinling.v1 import enterprises_pb2_grpc as ent_grpc
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc

STEWARD = bearer("dev-steward")
FINAL = ("rejected", "applied", "stopped", "applied_with_refusals")
LIST_HEADER = ("统一社会信用代码", "企业名称", "所属区县", "产业集群", "成立日期", "资质类型", "证书编号", "发证日期")
DISTRICT_NAMES = {"440703": "蓬江区", "440704": "江海区", "440705": "新会区", "440781": "台山市"}


def enterprise_list(first_day: date, body: int, count: int = 8) -> list[list[str]]:
    """`count` enterprises, high-tech certificates granted on first_day, two per district."""
    rows = []
    for n in range(count):
        district = sorted(DISTRICT_NAMES)[n % len(DISTRICT_NAMES)]
        code = make_credit_code(district, body + n)
        rows.append([code, f"江门测试科技有限公司{body + n}", DISTRICT_NAMES[district], "先进装备制造",
                     (first_day - timedelta(days=400 + n)).isoformat(), "高新技术企业",
                     f"GR{body + n:012d}", first_day.isoformat()])
    return rows


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]], encoding: str = "utf-8",
              newline: str = "\r\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(header: Sequence[str], rows: Sequence[Sequence[object]], sheet: str = "企业名单") -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "说明"
    first.append(["本表由区科技局填报"])
    table = book.create_sheet(sheet)
    table.append(list(header))
    for row in rows:
        table.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(stub, kind: str, content: bytes, metadata, chunk: int = 64 * 1024, **header) -> pb.Submission:  # type: ignore[no-untyped-def]
    def parts():  # type: ignore[no-untyped-def]
        yield pb.UploadRequest(header=pb.UploadHeader(kind=kind, **header))
        for start in range(0, len(content), chunk):
            yield pb.UploadRequest(chunk=content[start:start + chunk])
    return stub.Upload(parts(), metadata=metadata, timeout=60).submission


class Gateway:
    """A running enterprises service and ingest gateway, with stubs for both."""

    def __init__(self, ingest, registry, runtime, enterprises, applier) -> None:  # type: ignore[no-untyped-def]
        self.ingest, self.registry = ingest, registry
        self.runtime, self.enterprises, self.applier = runtime, enterprises, applier

    def wait(self, submission_id: str, limit_s: float = 30) -> pb.Submission:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            submission = self.ingest.GetSubmission(pb.GetSubmissionRequest(submission_id=submission_id), metadata=STEWARD).submission
            if submission.status in FINAL:
                return submission
            time.sleep(0.1)
        raise AssertionError(f"submission {submission_id} not applied: {submission}")

    def owner_events(self) -> int:
        """Events the enterprises service recorded: each change the owner made, once (its audit
        records of the gateway's writes are on another topic)."""
        with self.enterprises.sessions() as session:
            return session.scalar(select(func.count()).select_from(OutboxRecord)
                                  .where(OutboxRecord.topic != AUDIT.name)) or 0


@contextmanager
def started_gateway(bootstrap: str, folder: Path) -> Iterator[Gateway]:
    settings = Settings(bootstrap_servers=bootstrap)
    enterprises = start_service("enterprises", settings, ENTERPRISE_MODELS, enterprise_bindings,
                                grpc_port=free_port(), database_url=f"sqlite:///{folder / 'e.db'}")
    runtime, applier = start_ingest(settings, grpc_port=free_port(),
                                    database_url=f"sqlite:///{folder / 'ingest.db'}",
                                    owner_addresses={"enterprises": f"127.0.0.1:{enterprises.server.port}"})
    ingest_channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    ent_channel = grpc.insecure_channel(f"127.0.0.1:{enterprises.server.port}")
    try:
        yield Gateway(ingest_pb2_grpc.IngestGatewayStub(ingest_channel),
                      ent_grpc.EnterpriseRegistryStub(ent_channel), runtime, enterprises, applier)
    finally:
        ingest_channel.close()
        ent_channel.close()
        applier.stop()
        runtime.stop()
        enterprises.stop()

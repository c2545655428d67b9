"""Test support for batch ingest: realistic bureau files built in memory (CSV in UTF-8 or
GB18030, XLSX), the enterprise list of the issue's done-when, and an upload helper."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta

from openpyxl import Workbook

from yinling.credit_code import make_credit_code
from yinling.v1 import ingest_pb2 as pb

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

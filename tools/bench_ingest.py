"""Benchmark of batch ingest: a 100,000-row enterprise list (every row a registration and a
high-tech certificate, so 200,000 owner commands) uploaded to the gateway, validated whole,
applied through the enterprises service. Gateway and enterprises service run as their own
processes (`yinling serve ...`), so the gateway's peak memory (VmHWM) is its own.

YINLING_BENCH_INGEST_ROWS sets another size (1000 for a quick check).
"""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import grpc

from tools.bench_harness import benchmark
from tools.bench_pipeline import peak_rss_of, stop_worker
from yinling.broker import EmbeddedBroker, free_port

REPO = Path(__file__).resolve().parents[1]
ROWS = int(os.environ.get("YINLING_BENCH_INGEST_ROWS", "100000"))
DISTRICTS = ("440703", "440704", "440705", "440781", "440783", "440784", "440785")
HEADER = ("统一社会信用代码", "企业名称", "所属区县", "产业集群", "成立日期", "资质类型", "证书编号", "发证日期")


def enterprise_list(rows: int) -> bytes:
    from yinling.credit_code import make_credit_code

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        district = DISTRICTS[n % len(DISTRICTS)]
        writer.writerow([make_credit_code(district, 60_000_000 + n), f"江门基准科技有限公司{n:06d}", district,
                         "先进装备制造", f"{2010 + n % 10}-0{1 + n % 9}-1{n % 10}", "高新技术企业",
                         f"GR2023440{n:06d}", "2023-12-28"])
    return out.getvalue().encode("gb18030")  # as a district office's Excel saves it


def serve(service: str, env: dict[str, str], tmp: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yinling", "serve", service], cwd=REPO, env=env,
                            stdout=open(tmp / f"bench-ingest-{service}.log", "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def upload(address: str, content: bytes):  # type: ignore[no-untyped-def]
    from yinling.auth import bearer
    from yinling.v1 import ingest_pb2 as pb
    from yinling.v1 import ingest_pb2_grpc

    def parts():  # type: ignore[no-untyped-def]
        yield pb.UploadRequest(header=pb.UploadHeader(kind="enterprise_list"))
        for start in range(0, len(content), 1024 * 1024):
            yield pb.UploadRequest(chunk=content[start:start + 1024 * 1024])
    with grpc.insecure_channel(address) as channel:
        return ingest_pb2_grpc.IngestGatewayStub(channel).Upload(
            parts(), metadata=bearer("dev-steward"), timeout=600).submission


def wait_applied(address: str, submission_id: str, gateway: subprocess.Popen, timeout_s: float = 900):  # type: ignore[no-untyped-def]
    from yinling.auth import bearer
    from yinling.v1 import ingest_pb2 as pb
    from yinling.v1 import ingest_pb2_grpc

    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        stub = ingest_pb2_grpc.IngestGatewayStub(channel)
        while time.monotonic() < deadline:
            if gateway.poll() is not None:
                raise RuntimeError(f"the gateway exited with {gateway.returncode}")
            submission = stub.GetSubmission(pb.GetSubmissionRequest(submission_id=submission_id),
                                            metadata=bearer("dev-steward"), timeout=30).submission
            if submission.status not in ("accepted", "applying"):
                return submission
            time.sleep(0.1)
    raise TimeoutError(f"submission {submission_id} not applied within {timeout_s} s")


@benchmark(f"batch ingest: a {ROWS:,}-row enterprise list (GB18030 CSV), validated and applied once")
def bench_ingest(broker: EmbeddedBroker, tmp: Path) -> list[str]:
    from yinling.readiness import wait_for_grpc

    folder = tmp / "bench-ingest"
    folder.mkdir(exist_ok=True)
    ports = {name: str(free_port()) for name in ("ENTERPRISES_GRPC", "ENTERPRISES_METRICS", "INGEST_GRPC",
                                                 "INGEST_METRICS")}
    env = dict(os.environ, YINLING_BOOTSTRAP_SERVERS=broker.bootstrap, YINLING_DATA_DIR=str(folder),
               YINLING_DATABASE_URL="", YINLING_LOG_LEVEL="warning",
               **{f"YINLING_PORT_{name}": port for name, port in ports.items()})
    content = enterprise_list(ROWS)
    enterprises = serve("enterprises", env, folder)
    gateway = serve("ingest", env, folder)
    address = f"127.0.0.1:{ports['INGEST_GRPC']}"
    try:
        wait_for_grpc(f"127.0.0.1:{ports['ENTERPRISES_GRPC']}", 60, enterprises)
        wait_for_grpc(address, 60, gateway)
        started = time.perf_counter()
        submission = upload(address, content)
        validated = time.perf_counter()
        if submission.status != "accepted":
            raise RuntimeError(f"the file was not accepted: {submission.status}, {list(submission.errors)[:3]}")
        done = wait_applied(address, submission.id, gateway)
        applied = time.perf_counter()
        gateway_rss, enterprises_rss = peak_rss_of(gateway.pid), peak_rss_of(enterprises.pid)
    finally:
        stop_worker(gateway)
        stop_worker(enterprises)
    total = applied - started
    return [f"file: {len(content) / 1e6:,.1f} MB, {ROWS:,} rows, {2 * ROWS:,} owner commands",
            f"upload + validation: {validated - started:.1f} s ({ROWS / (validated - started):,.0f} rows/s)",
            f"apply: {applied - validated:.1f} s ({done.applied / (applied - validated):,.0f} rows/s); "
            f"{done.status}, {done.applied:,} applied, {done.refused} refused",
            f"time to apply, upload to last row: {total:.1f} s (goal < 60 s)",
            f"peak RSS (VmHWM) of the ingest process: {gateway_rss} (goal < 300 MB); "
            f"of the enterprises service: {enterprises_rss}"]

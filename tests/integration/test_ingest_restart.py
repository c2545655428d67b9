"""The gateway process killed (SIGKILL) in the middle of applying a submission, and started
again on its database: it finishes the submission, and the owner applied every row once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from sqlalchemy import func, select

from indicator_streams import quiet_days
from ingest_files import LIST_HEADER, STEWARD, csv_bytes, enterprise_list, upload
from services.enterprises.main import MODELS, bindings
from yinling.broker import free_port
from yinling.config import Settings
from yinling.outbox import OutboxRecord
from yinling.readiness import wait_for_grpc
from yinling.service import start_service
from yinling.topics import AUDIT
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import enterprises_pb2_grpc as ent_grpc
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc

REPO = Path(__file__).resolve().parents[2]
ROWS = 500  # two ApplyCommands rounds of 250 rows: the kill lands after the first is marked


def serve_ingest(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yinling", "serve", "ingest"], cwd=REPO, env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def test_killed_mid_apply_and_restarted_it_finishes_with_no_row_applied_twice(broker, tmp_path):
    enterprises = start_service("enterprises", Settings(bootstrap_servers=broker.bootstrap), MODELS, bindings,
                                grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'e.db'}")
    port = free_port()
    env = dict(os.environ, YINLING_BOOTSTRAP_SERVERS=broker.bootstrap, YINLING_LOG_LEVEL="warning",
               YINLING_DATABASE_URL=f"sqlite:///{tmp_path / 'ingest.db'}", YINLING_PORT_INGEST_GRPC=str(port),
               YINLING_PORT_INGEST_METRICS=str(free_port()),
               YINLING_PORT_ENTERPRISES_GRPC=str(enterprises.server.port))
    log = tmp_path / "ingest.log"
    gateway = serve_ingest(env, log)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = ingest_pb2_grpc.IngestGatewayStub(channel)
    rows = enterprise_list(quiet_days(), 59_000_000, count=ROWS)
    try:
        wait_for_grpc(f"127.0.0.1:{port}", 60, gateway)
        submission = upload(stub, "enterprise_list", csv_bytes(LIST_HEADER, rows), STEWARD)
        deadline = time.monotonic() + 60
        while submission.applied == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
            submission = stub.GetSubmission(pb.GetSubmissionRequest(submission_id=submission.id), metadata=STEWARD).submission
        assert 0 < submission.applied < ROWS, submission.applied
        gateway.send_signal(signal.SIGKILL)
        gateway.wait(10)

        gateway = serve_ingest(env, log)
        wait_for_grpc(f"127.0.0.1:{port}", 60, gateway)
        while submission.status != "applied" and time.monotonic() < deadline + 60:
            time.sleep(0.1)
            submission = stub.GetSubmission(pb.GetSubmissionRequest(submission_id=submission.id), metadata=STEWARD).submission
        assert (submission.status, submission.applied, submission.refused) == ("applied", ROWS, 0)
        registry = ent_grpc.EnterpriseRegistryStub(grpc.insecure_channel(f"127.0.0.1:{enterprises.server.port}"))
        assert registry.List(ent.ListEnterprisesRequest()).total == ROWS
        for code in (rows[0][0], rows[ROWS // 2][0], rows[-1][0]):
            enterprise = registry.Get(ent.GetEnterpriseRequest(credit_code=code))
            assert (enterprise.version, len(enterprise.qualifications)) == (2, 1)  # registered, granted: once
        with enterprises.sessions() as session:
            assert session.scalar(select(func.count()).select_from(OutboxRecord)
                                  .where(OutboxRecord.topic != AUDIT.name)) == 2 * ROWS
    finally:
        channel.close()
        if gateway.poll() is None:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(20)
        enterprises.stop()
        print(log.read_text(errors="replace")[-3000:])  # shown when the test failed

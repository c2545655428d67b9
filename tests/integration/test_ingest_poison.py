"""One yearbook row never halts ingest (issue 7, finding 2): the row of the finding is refused
at the gate, naming row and column; a row the owner refuses for good is marked refused with a
short reason and the batch, and the batches behind it, go on. Real enterprises service."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest

from services.enterprises.main import MODELS as ENTERPRISE_MODELS
from services.enterprises.main import bindings as enterprise_bindings
from services.ingest.forwarder import MAX_REFUSAL
from services.ingest.main import start as start_ingest
from services.ingest.store import Batch, BatchRow
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.grpc_server import MAX_REQUEST_BYTES
from yinling.service import start_service
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import enterprises_pb2_grpc as ent_grpc
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc

STEWARD = bearer("dev-steward")
HEADER = "territory,year,measure,value,unit,source,reported_on\n"


@pytest.fixture
def gateway(broker, tmp_path) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    settings = Settings(bootstrap_servers=broker.bootstrap)
    enterprises = start_service("enterprises", settings, ENTERPRISE_MODELS, enterprise_bindings,
                                grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'e.db'}")
    runtime, forwarder = start_ingest(settings, grpc_port=free_port(),
                                      database_url=f"sqlite:///{tmp_path / 'ingest.db'}",
                                      enterprises_address=f"127.0.0.1:{enterprises.server.port}")
    ingest_channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    ent_channel = grpc.insecure_channel(f"127.0.0.1:{enterprises.server.port}")
    yield (ingest_pb2_grpc.IngestGatewayStub(ingest_channel),
           ent_grpc.EnterpriseRegistryStub(ent_channel), runtime.sessions, forwarder)
    ingest_channel.close()
    ent_channel.close()
    forwarder.stop()
    runtime.stop()
    enterprises.stop()


def wait_done(stub, batch_id: str, limit_s: float = 30) -> pb.IngestBatch:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit_s
    batch = stub.GetBatch(pb.GetBatchRequest(batch_id=batch_id))
    while batch.status != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
        batch = stub.GetBatch(pb.GetBatchRequest(batch_id=batch_id))
    return batch


def test_the_row_of_the_finding_is_refused_at_the_gate_naming_row_and_column(gateway):
    ingest, *_ = gateway
    table = (HEADER + "440783,2005,gdp,1E+1000000,CNY_10K,s,2025-03-01\n").encode()
    with pytest.raises(grpc.RpcError) as refused:
        ingest.IngestTable(pb.IngestTableRequest(table="regional_statistics", content=table),
                           metadata=STEWARD)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert dict(refused.value.trailing_metadata())["yinling-field"] == "content: row 1, column value"
    assert len(refused.value.details()) < 300


def stage_accepted_batch(sessions, rows: list[dict]) -> str:  # type: ignore[no-untyped-def]
    """A batch accepted before the gate had bounds: its rows go straight to the forwarder."""
    batch_id = "ing-old" + str(time.monotonic_ns())[-8:]
    with sessions.begin() as session:
        session.add(Batch(id=batch_id, table="regional_statistics", sha256="0" * 64, content=b"",
                          source="s", reason="", actor="steward@dev",
                          accepted_at=datetime(2020, 1, 1, tzinfo=UTC), rows=len(rows)))
        session.add_all(BatchRow(batch_id=batch_id, row=n, refusal="", payload=json.dumps(r))
                        for n, r in enumerate(rows, start=1))
    return batch_id


def row(territory: str, value: str) -> dict:
    return dict(territory=territory, year=2022, measure="gdp", value=value, unit="CNY_10K",
                source="yearbook", reported_on="2023-06-30")


def test_a_row_the_owner_refuses_for_good_is_marked_and_the_batches_go_on(gateway):
    ingest, registry, sessions, forwarder = gateway
    # Row 2 is larger than the owner's server takes (RESOURCE_EXHAUSTED, once retried for
    # ever); row 3 is the finding's expanded 1E+1000000 (INVALID_ARGUMENT).
    poisoned = stage_accepted_batch(sessions, [
        row("440703", "100.5"), row("440704", "1" + "0" * (MAX_REQUEST_BYTES + 10)),
        row("440784", "1" + "0" * 1_000_000), row("440705", "300.25")])
    forwarder.wake()
    done = wait_done(ingest, poisoned)
    assert (done.status, done.forwarded, done.refused) == ("done", 4, 2)
    assert [(r.row, r.reason.split(":")[0]) for r in done.refusals] == [
        (2, "RESOURCE_EXHAUSTED"), (3, "INVALID_ARGUMENT")]
    assert all(len(r.reason) <= MAX_REFUSAL + 3 for r in done.refusals)
    later = ingest.IngestTable(pb.IngestTableRequest(
        table="regional_statistics", content=(HEADER + "440781,2022,gdp,7.5,CNY_10K,s,2023-06-30\n").encode()),
        metadata=STEWARD).batch
    assert wait_done(ingest, later.id).status == "done"
    figures = registry.ListRegionalStatistics(ent.ListRegionalStatisticsRequest(year=2022))
    assert {(s.territory, s.value) for s in figures.statistics} == {
        ("440703", "100.5"), ("440705", "300.25"), ("440781", "7.5")}


def test_a_table_that_is_not_valid_csv_is_refused_not_an_internal_error(gateway):
    ingest, *_ = gateway
    # A cell over the csv module's field limit (128 KiB) made the parser raise csv.Error.
    table = (HEADER + "440703,2022,gdp,1.5,CNY_10K," + "s" * 200_000 + ",2023-06-30\n").encode()
    with pytest.raises(grpc.RpcError) as refused:
        ingest.IngestTable(pb.IngestTableRequest(table="regional_statistics", content=table),
                           metadata=STEWARD)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert dict(refused.value.trailing_metadata())["yinling-field"] == "content: row 1, column content"
    assert len(refused.value.details()) < 400

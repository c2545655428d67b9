"""The ingest gateway against a real enterprises service, broker and databases."""
from __future__ import annotations

import time
from collections.abc import Iterator

import click
import grpc
import pytest

from services.enterprises.main import MODELS as ENTERPRISE_MODELS
from services.enterprises.main import bindings as enterprise_bindings
from services.ingest.main import start as start_ingest
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.ingest_client import upload
from yinling.service import start_service
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import enterprises_pb2_grpc as ent_grpc
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc

STEWARD = bearer("dev-steward")
HEADER = "territory,year,measure,value,unit,source,reported_on\n"


@pytest.fixture
def stubs(broker, database_url: str, tmp_path) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    settings = Settings(bootstrap_servers=broker.bootstrap)
    enterprises = start_service("enterprises", settings, ENTERPRISE_MODELS, enterprise_bindings,
                                grpc_port=free_port(), database_url=database_url)
    runtime, forwarder = start_ingest(settings, grpc_port=free_port(),
                                      database_url=f"sqlite:///{tmp_path / 'ingest.db'}",
                                      enterprises_address=f"127.0.0.1:{enterprises.server.port}")
    ingest_channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    ent_channel = grpc.insecure_channel(f"127.0.0.1:{enterprises.server.port}")
    yield (ingest_pb2_grpc.IngestGatewayStub(ingest_channel), ent_grpc.EnterpriseRegistryStub(ent_channel),
           runtime.server.port)
    ingest_channel.close()
    ent_channel.close()
    forwarder.stop()
    runtime.stop()
    enterprises.stop()


def wait_done(stub, batch_id: str) -> pb.IngestBatch:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        batch = stub.GetBatch(pb.GetBatchRequest(batch_id=batch_id))
        if batch.status == "done":
            return batch
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} not forwarded: {batch}")


def test_an_accepted_table_reaches_the_enterprises_service_row_by_row(stubs) -> None:  # type: ignore[no-untyped-def]
    ingest, registry, _ = stubs
    table = (HEADER + "440703,2023,gdp,1234567.89,CNY_10K,江门统计年鉴2024,2024-06-30\n"
             "440703,2023,rd_expenditure,40740.74,CNY_10K,江门统计年鉴2024,2024-06-30\n").encode()
    batch = ingest.IngestTable(pb.IngestTableRequest(table="regional_statistics", content=table),
                               metadata=STEWARD).batch
    assert batch.rows == 2
    done = wait_done(ingest, batch.id)
    assert done.forwarded == 2 and done.refused == 0
    figures = registry.ListRegionalStatistics(ent.ListRegionalStatisticsRequest(territory="440703", year=2023))
    assert {(s.measure, s.value) for s in figures.statistics} == {
        ("gdp", "1234567.89"), ("rd_expenditure", "40740.74")}


def test_one_bad_row_refuses_the_whole_table_naming_row_and_column(stubs) -> None:  # type: ignore[no-untyped-def]
    ingest, registry, _ = stubs
    table = (HEADER + "440703,2023,gdp,1.5,CNY_10K,s,2024-06-30\n"
             "440799,2023,gdp,2.5,CNY_10K,s,2024-06-30\n").encode()
    with pytest.raises(grpc.RpcError) as refused:
        ingest.IngestTable(pb.IngestTableRequest(table="regional_statistics", content=table),
                           metadata=STEWARD)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert dict(refused.value.trailing_metadata())["yinling-field"] == "content: row 2, column territory"
    assert ingest.ListBatches(pb.ListBatchesRequest()).batches == []
    assert registry.ListRegionalStatistics(ent.ListRegionalStatisticsRequest()).statistics == []


def test_a_retried_upload_is_accepted_once(stubs) -> None:  # type: ignore[no-untyped-def]
    ingest, _, _ = stubs
    request = pb.IngestTableRequest(table="regional_statistics", request_id="upload-1",
                                    content=(HEADER + "440781,2022,gdp,9,CNY_10K,s,2023-05-01\n").encode())
    first = ingest.IngestTable(request, metadata=STEWARD).batch
    again = ingest.IngestTable(request, metadata=STEWARD).batch
    assert again.id == first.id
    assert len(ingest.ListBatches(pb.ListBatchesRequest()).batches) == 1


def test_uploads_need_a_steward(stubs) -> None:  # type: ignore[no-untyped-def]
    ingest, _, _ = stubs
    with pytest.raises(grpc.RpcError) as refused:
        ingest.IngestTable(pb.IngestTableRequest(table="regional_statistics", content=b"x"))
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_a_row_the_owner_refuses_is_reported_on_the_batch_not_retried(stubs) -> None:  # type: ignore[no-untyped-def]
    ingest, registry, _ = stubs
    first = (HEADER + "440705,2023,gdp,100,CNY_10K,s,2024-06-30\n").encode()
    wait_done(ingest, ingest.IngestTable(pb.IngestTableRequest(table="regional_statistics", content=first),
                                         metadata=STEWARD).batch.id)
    # A different figure for the same year is a revision, which needs a reason.
    revised = (HEADER + "440705,2023,gdp,101,CNY_10K,s,2024-09-30\n").encode()
    batch = ingest.IngestTable(pb.IngestTableRequest(table="regional_statistics", content=revised),
                               metadata=STEWARD).batch
    done = wait_done(ingest, batch.id)
    assert done.refused == 1 and "reason" in done.refusals[0].reason
    figures = registry.ListRegionalStatistics(ent.ListRegionalStatisticsRequest(territory="440705"))
    assert [s.value for s in figures.statistics] == ["100"]


def test_the_cli_uploads_a_file_and_follows_it_until_forwarded(stubs, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    ingest, registry, port = stubs
    table = tmp_path / "yearbook-2023.csv"
    table.write_text(HEADER + "440784,2023,gdp,7654321.01,CNY_10K,鹤山统计年鉴,2024-05-31\n", encoding="utf-8")
    settings = Settings(ports={**Settings().ports, "ingest.grpc": port})
    batch = upload(settings, str(table), "regional_statistics", "", "", "dev-steward")
    assert (batch.status, batch.forwarded) == ("done", 1)
    assert "1/1 forwarded, 0 refused" in capsys.readouterr().out
    again = upload(settings, str(table), "regional_statistics", "", "", "dev-steward")
    assert again.id == batch.id  # the same file again is the same batch
    figures = registry.ListRegionalStatistics(ent.ListRegionalStatisticsRequest(territory="440784"))
    assert [s.value for s in figures.statistics] == ["7654321.01"]


def test_the_cli_shows_the_row_and_column_of_a_refused_table(stubs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, _, port = stubs
    table = tmp_path / "bad.csv"
    table.write_text(HEADER + "440784,2023,gdp,abc,CNY_10K,s,2024-05-31\n", encoding="utf-8")
    settings = Settings(ports={**Settings().ports, "ingest.grpc": port})
    with pytest.raises(click.ClickException, match="row 1, column 'value'"):
        upload(settings, str(table), "regional_statistics", "", "", "dev-steward")

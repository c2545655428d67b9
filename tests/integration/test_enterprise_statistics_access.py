"""An enterprise's annual statistics are confidential (issue 7, finding 6): anonymous Get,
List and History leave them out and say so; a steward sees them. Real gRPC server."""
from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from test_enterprises_service import new_code

from services.enterprises.main import bindings
from services.enterprises.store import MODELS
from yinling.auth import REDACTED_METADATA, bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.service import start_service
from yinling.v1 import enterprises_pb2 as pb
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub

STEWARD = bearer("dev-steward")
FIGURES = pb.AnnualStatistics(year=2022, revenue_fen=987_654_321, rd_expenditure_fen=45_678_900,
                              employees=120, rd_staff=30)


@pytest.fixture
def registry(broker, tmp_path) -> Iterator[EnterpriseRegistryStub]:  # type: ignore[no-untyped-def]
    runtime = start_service("enterprises", Settings(bootstrap_servers=broker.bootstrap), MODELS,
                            bindings, grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'e.db'}")
    with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
        yield EnterpriseRegistryStub(channel)
    runtime.stop()


@pytest.fixture
def code(registry: EnterpriseRegistryStub) -> str:
    code = new_code("440785")
    registry.Register(pb.RegisterEnterpriseRequest(
        credit_code=code, name="恩平声学科技有限公司", district="440785", industry_cluster="acoustics",
        registered_on="2019-04-01"), metadata=STEWARD)
    registry.ReportAnnualStatistics(pb.ReportAnnualStatisticsRequest(credit_code=code, statistics=FIGURES),
                                    metadata=STEWARD)
    return code


def test_anonymous_get_list_and_history_carry_no_annual_statistics(registry, code):
    got, call = registry.Get.with_call(pb.GetEnterpriseRequest(credit_code=code))
    assert got.credit_code == code and list(got.statistics) == []
    assert dict(call.trailing_metadata())[REDACTED_METADATA] == "statistics"
    listed = registry.List(pb.ListEnterprisesRequest(district="440785"))
    assert [list(e.statistics) for e in listed.enterprises] == [[]]
    history = registry.History(pb.EnterpriseHistoryRequest(credit_code=code))
    assert len(history.snapshots) == 2 and all(list(s.statistics) == [] for s in history.snapshots)
    assert "987654321" not in str(got) + str(listed) + str(history)


def test_a_steward_sees_the_annual_statistics(registry, code):
    got, call = registry.Get.with_call(pb.GetEnterpriseRequest(credit_code=code), metadata=STEWARD)
    assert list(got.statistics) == [FIGURES]
    assert REDACTED_METADATA not in dict(call.trailing_metadata() or ())

"""request_id, done once in the kernel, as every service (and the ingest gateway) answers it (issue 7, findings 8, 9):
an id reused with another method or another request is refused naming `request_id`;
concurrent copies of one request all get the winner's answer, and it is applied once."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf.message import Message
from sqlalchemy import func, select
from test_enterprises_service import new_code
from test_finance_service import a_loan
from test_talent_service import commissioner

from ingest_files import upload
from services.enterprises.main import bindings as enterprise_bindings
from services.enterprises.store import MODELS as ENTERPRISE_MODELS
from services.finance.main import MODELS as FINANCE_MODELS
from services.finance.main import bindings as finance_bindings
from services.ingest.main import start as start_ingest
from services.platforms.main import MODELS as PLATFORM_MODELS
from services.platforms.main import bindings as platform_bindings
from services.talent.main import bindings as talent_bindings
from services.talent.store import MODELS as TALENT_MODELS
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.outbox import OutboxRecord
from yinling.service import ServiceRuntime, start_service
from yinling.topics import AUDIT
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import ingest_pb2 as ing
from yinling.v1 import ingest_pb2_grpc
from yinling.v1 import platforms_pb2 as plat
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub
from yinling.v1.finance_pb2_grpc import FinanceRegistryStub
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub
from yinling.v1.talent_pb2_grpc import TalentRegistryStub

STEWARD = bearer("dev-steward")


@dataclass(frozen=True)
class Kind:
    name: str
    models: list
    bindings: Callable
    stub: Callable[[grpc.Channel], object]
    first: Callable[[], Message]  # a valid creating command, without request_id


def a_platform() -> plat.RegisterPlatformRequest:
    return plat.RegisterPlatformRequest(name="江门激光研究院", kind="new_rd_institution",
                                        host_organisation="五邑大学", district="440703",
                                        registered_on="2022-03-01")


def an_enterprise() -> ent.RegisterEnterpriseRequest:
    return ent.RegisterEnterpriseRequest(credit_code=new_code(), name="江门星河科技有限公司",
                                         district="440703", industry_cluster="new_materials",
                                         registered_on="2019-04-01")


KINDS = {
    "platforms": Kind("platforms", PLATFORM_MODELS, platform_bindings, PlatformRegistryStub, a_platform),
    "enterprises": Kind("enterprises", ENTERPRISE_MODELS, enterprise_bindings, EnterpriseRegistryStub,
                        an_enterprise),
    "finance": Kind("finance", FINANCE_MODELS, finance_bindings, FinanceRegistryStub, a_loan),
    "talent": Kind("talent", TALENT_MODELS, talent_bindings, TalentRegistryStub, commissioner),
}
CREATE = {"platforms": "Register", "enterprises": "Register", "finance": "Record", "talent": "Register"}


@pytest.fixture
def started(request, broker, tmp_path) -> Iterator[tuple[Kind, ServiceRuntime, object]]:  # type: ignore[no-untyped-def]
    kind: Kind = KINDS[request.param]
    runtime = start_service(kind.name, Settings(bootstrap_servers=broker.bootstrap), kind.models,
                            kind.bindings, grpc_port=free_port(),
                            database_url=f"sqlite:///{tmp_path / (kind.name + '.db')}")
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield kind, runtime, kind.stub(channel)
    channel.close()
    runtime.stop()


def with_id(message: Message, request_id: str) -> Message:
    message.request_id = request_id  # type: ignore[attr-defined]
    return message


def refused_field(call: Callable[[], object]) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return (caught.value.code(), dict(caught.value.trailing_metadata() or ()).get("yinling-field", ""),
            caught.value.details())


def events(runtime: ServiceRuntime) -> int:
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(OutboxRecord)
                        .where(OutboxRecord.topic != AUDIT.name)) or 0


@pytest.mark.parametrize("started", list(KINDS), indirect=True)
def test_concurrent_copies_of_one_request_all_get_the_winners_answer(started):
    kind, runtime, stub = started
    request = with_id(kind.first(), str(uuid.uuid4()))
    create = getattr(stub, CREATE[kind.name])
    gate = threading.Barrier(8)

    def send(_n: int) -> Message:
        gate.wait()
        return create(request, metadata=STEWARD, timeout=60)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert all(a == answers[0] for a in answers)
    assert events(runtime) == 1


@pytest.mark.parametrize("started", list(KINDS), indirect=True)
def test_the_same_request_id_with_other_fields_is_refused_naming_request_id(started):
    kind, runtime, stub = started
    request_id = str(uuid.uuid4())
    create = getattr(stub, CREATE[kind.name])
    create(with_id(kind.first(), request_id), metadata=STEWARD)
    other = with_id(kind.first(), request_id)
    if kind.name == "talent":
        other.recognised_on = "2023-03-02"  # type: ignore[attr-defined]
    elif kind.name == "finance":
        other.amount_fen += 1  # type: ignore[attr-defined]
    else:
        other.name = "另一个名字"  # type: ignore[attr-defined]
    code, field, details = refused_field(lambda: create(other, metadata=STEWARD))
    assert (code, field) == (grpc.StatusCode.INVALID_ARGUMENT, "request_id")
    assert events(runtime) == 1


@pytest.mark.parametrize("started", ["platforms"], indirect=True)
def test_an_accredit_sent_with_a_registers_request_id_is_refused_not_silently_answered(started):
    _, runtime, stub = started
    request_id = str(uuid.uuid4())
    p = stub.Register(with_id(a_platform(), request_id), metadata=STEWARD)
    code, field, details = refused_field(lambda: stub.Accredit(plat.AccreditPlatformRequest(
        platform_id=p.id, level=plat.PLATFORM_LEVEL_PROVINCIAL, accredited_on="2022-06-01",
        request_id=request_id), metadata=STEWARD))
    assert (code, field) == (grpc.StatusCode.INVALID_ARGUMENT, "request_id")
    assert "register" in details
    assert stub.Get(plat.GetPlatformRequest(platform_id=p.id)).version == 1


@pytest.mark.parametrize("started", ["enterprises"], indirect=True)
def test_a_regional_statistic_sent_with_a_registers_request_id_is_refused(started):
    _, runtime, stub = started
    request_id = str(uuid.uuid4())
    stub.Register(with_id(an_enterprise(), request_id), metadata=STEWARD)
    code, field, _ = refused_field(lambda: stub.ReportRegionalStatistic(ent.ReportRegionalStatisticRequest(
        statistic=ent.RegionalStatistic(territory="440703", year=2022, measure="gdp", value="1.5",
                                        unit="CNY_10K", source="yearbook", reported_on="2023-06-30"),
        request_id=request_id), metadata=STEWARD))
    assert (code, field) == (grpc.StatusCode.INVALID_ARGUMENT, "request_id")
    assert stub.ListRegionalStatistics(ent.ListRegionalStatisticsRequest()).statistics == []


@pytest.fixture
def ingest(broker, tmp_path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    settings = Settings(bootstrap_servers=broker.bootstrap)
    enterprises = start_service("enterprises", settings, ENTERPRISE_MODELS, enterprise_bindings,
                                grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'e.db'}")
    runtime, forwarder = start_ingest(settings, grpc_port=free_port(),
                                      database_url=f"sqlite:///{tmp_path / 'ingest.db'}",
                                      owner_addresses={"enterprises": f"127.0.0.1:{enterprises.server.port}"})
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield ingest_pb2_grpc.IngestGatewayStub(channel)
    channel.close()
    forwarder.stop()
    runtime.stop()
    enterprises.stop()


def test_ingest_uploads_bind_their_submission_id_too(ingest):
    table = b"territory,year,measure,value,unit,source,reported_on\n440703,2021,gdp,1.5,CNY_10K,s,2022-06-30\n"
    submission_id = str(uuid.uuid4())
    gate = threading.Barrier(6)

    def send(_n: int) -> str:
        gate.wait()
        return upload(ingest, "regional_statistics", table, STEWARD, submission_id=submission_id).id
    with ThreadPoolExecutor(6) as pool:
        submission_ids = set(pool.map(send, range(6)))
    assert submission_ids == {submission_id}
    code, field, _ = refused_field(lambda: upload(ingest, "regional_statistics", table.replace(b"1.5", b"2.5"),
                                                  STEWARD, submission_id=submission_id))
    assert (code, field) == (grpc.StatusCode.INVALID_ARGUMENT, "submission_id")
    assert len(ingest.ListSubmissions(ing.ListSubmissionsRequest(), metadata=STEWARD).submissions) == 1

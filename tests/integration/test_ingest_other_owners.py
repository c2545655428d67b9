"""Platform lists, finance records and talent recognitions, each applied once through its
owning service's real API (platforms in two ApplyCommands calls, finance and talent one
request per row), with the owner's rules at validation; talent rows' personal data is not kept
by the gateway."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from ingest_files import STEWARD, upload
from services.finance.main import MODELS as FINANCE_MODELS
from services.finance.main import bindings as finance_bindings
from services.ingest.main import start as start_ingest
from services.ingest.store import SubmissionRecord, SubmissionRow
from services.platforms.main import MODELS as PLATFORM_MODELS
from services.platforms.main import bindings as platform_bindings
from services.talent.main import bindings as talent_bindings
from services.talent.store import MODELS as TALENT_MODELS
from yinling.broker import free_port
from yinling.config import Settings
from yinling.service import start_service
from yinling.v1 import finance_pb2 as fin
from yinling.v1 import finance_pb2_grpc as fin_grpc
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc
from yinling.v1 import platforms_pb2 as plat
from yinling.v1 import platforms_pb2_grpc as plat_grpc
from yinling.v1 import talent_pb2 as tal
from yinling.v1 import talent_pb2_grpc as tal_grpc

SAMPLES = Path(__file__).parents[2] / "samples"
OWNERS = {"platforms": (PLATFORM_MODELS, platform_bindings), "finance": (FINANCE_MODELS, finance_bindings),
          "talent": (TALENT_MODELS, talent_bindings)}


@pytest.fixture
def owners(broker, tmp_path) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    settings = Settings(bootstrap_servers=broker.bootstrap)
    running = {name: start_service(name, settings, models, bindings, grpc_port=free_port(),
                                   database_url=f"sqlite:///{tmp_path / (name + '.db')}")
               for name, (models, bindings) in OWNERS.items()}
    runtime, applier = start_ingest(settings, grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'i.db'}",
                                    owner_addresses={n: f"127.0.0.1:{r.server.port}" for n, r in running.items()})
    channels = [grpc.insecure_channel(f"127.0.0.1:{p}") for p in
                (runtime.server.port, running["platforms"].server.port, running["finance"].server.port,
                 running["talent"].server.port)]
    yield (ingest_pb2_grpc.IngestGatewayStub(channels[0]), plat_grpc.PlatformRegistryStub(channels[1]),
           fin_grpc.FinanceRegistryStub(channels[2]), tal_grpc.TalentRegistryStub(channels[3]), runtime)
    for channel in channels:
        channel.close()
    applier.stop()
    runtime.stop()
    for service in running.values():
        service.stop()


def applied(ingest, kind: str, content: bytes) -> pb.Submission:  # type: ignore[no-untyped-def]
    submission = upload(ingest, kind, content, STEWARD)
    assert submission.status == "accepted", list(submission.errors)
    deadline = time.monotonic() + 30
    while submission.status in ("accepted", "applying") and time.monotonic() < deadline:
        time.sleep(0.1)
        submission = ingest.GetSubmission(pb.GetSubmissionRequest(submission_id=submission.id), metadata=STEWARD).submission
    return submission


def test_a_platform_list_is_registered_and_accredited_at_its_levels(owners):
    ingest, platforms, *_ = owners
    done = applied(ingest, "platform_list", (SAMPLES / "platform_list.csv").read_bytes())
    assert (done.status, done.applied) == ("applied", 4)
    listed = platforms.List(plat.ListPlatformsRequest()).platforms
    by_name = {p.name: p for p in listed}
    assert by_name["江门市激光加工工程技术研究中心"].level == plat.PLATFORM_LEVEL_PROVINCIAL
    assert by_name["江门市激光加工工程技术研究中心"].kind == "engineering_technology_research_centre"
    assert getattr(by_name["五邑大学-台山新材料产学研协同创新中心"].periods[0], "from") == "2023-03-15"
    assert by_name["开平卫浴科技企业孵化器"].status == plat.PLATFORM_STATUS_UNDER_CONSTRUCTION
    assert upload(ingest, "platform_list", (SAMPLES / "platform_list.csv").read_bytes(), STEWARD).id == done.id
    assert platforms.List(plat.ListPlatformsRequest()).total == 4


def test_a_platform_of_a_level_its_kind_cannot_hold_is_refused_at_validation(owners):
    ingest, platforms, *_ = owners
    content = ("平台名称,平台类型,级别,依托单位,所属区县,登记日期,认定日期\r\n"
               "某协同创新中心,江门市产学研协同创新中心,国家级,五邑大学,蓬江区,2022-01-01,2022-06-01\r\n").encode()
    refused = upload(ingest, "platform_list", content, STEWARD)
    assert [(e.row, e.column, e.reason[:40]) for e in refused.errors] == [
        (1, "级别", "a iur_centre cannot be national; allowed")]
    assert platforms.List(plat.ListPlatformsRequest()).total == 0


def test_finance_records_are_recorded_with_amounts_in_fen(owners):
    ingest, _, finance, *_ = owners
    done = applied(ingest, "finance_records", (SAMPLES / "finance_records.csv").read_bytes())
    assert (done.status, done.applied) == ("applied", 5)
    records = finance.List(fin.ListFinanceRequest(), metadata=STEWARD).records
    assert sorted((r.kind, r.amount_fen, r.exchange) for r in records) == [
        ("insurance", 300_000_000, ""), ("interest_subsidy", 18_500_000, ""), ("listing", 0, "szse"),
        ("loan", 500_000_000, ""), ("loan", 1_200_000_000, "")]


def test_talent_rows_are_registered_and_their_personal_data_is_not_kept_by_the_gateway(owners):
    ingest, *_, talent, runtime = owners
    content = (SAMPLES / "talent_recognitions.csv").read_bytes()
    bad = content.decode().replace("440781197903203459", "440781197903203450").encode()
    refused = upload(ingest, "talent_recognitions", bad, STEWARD)
    assert [(e.row, e.column, e.value) for e in refused.errors] == [(3, "身份证号码", "(personal data, not shown)")]
    assert "440781197903203450" not in str(refused)
    done = applied(ingest, "talent_recognitions", content)
    assert (done.status, done.applied) == ("applied", 3)
    assert sorted(r.category for r in talent.List(tal.ListTalentRequest(), metadata=STEWARD).records) == [
        "innovation_team", "leading_talent", "phd_commissioner"]
    with runtime.sessions() as session:
        assert session.get(SubmissionRecord, done.id).content == b""
        assert set(session.scalars(select(SubmissionRow.payload).where(SubmissionRow.submission_id == done.id))) == {""}

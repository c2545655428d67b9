"""The enterprise registry as users meet it: a real gRPC server on SQLite and PostgreSQL,
publishing through the outbox to the real broker."""
from __future__ import annotations

import random
import time
from collections.abc import Iterator

import grpc
import pytest
from kafka import KafkaConsumer

from services.enterprises.main import bindings
from services.enterprises.store import MODELS
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.credit_code import make_credit_code
from yinling.envelope import Envelope
from yinling.service import start_service
from yinling.territory import DISTRICTS
from yinling.topics import ENTERPRISE_EVENTS, STATISTICS_EVENTS
from yinling.v1 import enterprises_pb2 as pb
from yinling.v1.common_pb2 import PageRequest
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub

STEWARD = bearer("dev-steward")


@pytest.fixture
def registry(broker, database_url: str) -> Iterator[EnterpriseRegistryStub]:  # type: ignore[no-untyped-def]
    runtime = start_service("enterprises", Settings(bootstrap_servers=broker.bootstrap), MODELS,
                            bindings, grpc_port=free_port(), database_url=database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield EnterpriseRegistryStub(channel)
    channel.close()
    runtime.stop()


def new_code(district: str = "440703") -> str:
    # Both database runs publish to the same topic: a fresh code keeps their events apart.
    return make_credit_code(district, random.randrange(10**8))


def register(stub: EnterpriseRegistryStub, code: str, district: str = "440703", **extra: str) -> pb.Enterprise:
    return stub.Register(pb.RegisterEnterpriseRequest(
        credit_code=code, name="江门星河科技有限公司", district=district, industry_cluster="new_materials",
        registered_on="2019-04-01", **extra), metadata=STEWARD)


def rejection(call) -> tuple[grpc.StatusCode, dict[str, str], str]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call()
    err = caught.value
    return err.code(), dict(err.trailing_metadata() or ()), err.details()


def events(bootstrap: str, topic: str, key: str, count: int, deadline_s: float = 20.0) -> list[tuple[Envelope, bytes]]:
    """Records with this key, waiting (bounded) until `count` have arrived."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=500)
    found: list[tuple[Envelope, bytes]] = []
    end = time.monotonic() + deadline_s
    try:
        while len(found) < count and time.monotonic() < end:
            for batch in consumer.poll(timeout_ms=500).values():
                for r in batch:
                    if r.key and r.key.decode() == key:
                        found.append((Envelope.from_record(r.key, r.value, list(r.headers)), r.value))
    finally:
        consumer.close()
    return found


def test_bad_credit_code_is_invalid_argument_naming_field_and_character(registry) -> None:  # type: ignore[no-untyped-def]
    code, meta, details = rejection(lambda: register(registry, "91440300O08461136T"))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert meta["yinling-field"] == "credit_code"
    assert "'O' at position 9" in details
    listed = registry.List(pb.ListEnterprisesRequest())
    assert listed.total == 0  # nothing was written


def test_duplicate_registration_is_rejected_on_credit_code(registry) -> None:  # type: ignore[no-untyped-def]
    code = new_code()
    register(registry, code)
    status, meta, _ = rejection(lambda: register(registry, code))
    assert (status, meta["yinling-field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "credit_code")
    assert len(registry.History(pb.EnterpriseHistoryRequest(credit_code=code)).entries) == 1


def test_unknown_enterprise_is_not_found(registry) -> None:  # type: ignore[no-untyped-def]
    status, _, _ = rejection(lambda: registry.Move(pb.MoveEnterpriseRequest(
        credit_code=new_code(), district="440704", moved_on="2022-01-01"), metadata=STEWARD))
    assert status is grpc.StatusCode.NOT_FOUND


def test_commands_need_a_steward(registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        registry.Register(pb.RegisterEnterpriseRequest(credit_code=new_code()))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_move_keeps_the_district_history_and_is_published(registry, broker) -> None:  # type: ignore[no-untyped-def]
    code = new_code()
    register(registry, code, request_id=f"reg-{code}")
    moved = registry.Move(pb.MoveEnterpriseRequest(credit_code=code, district="440704", moved_on="2022-08-01",
                                                   reason="moved to the high-tech zone"), metadata=STEWARD)
    assert [(p.district, getattr(p, "from"), p.until) for p in moved.district_history] == [
        ("440703", "2019-04-01", "2022-08-01"), ("440704", "2022-08-01", "")]
    history = registry.History(pb.EnterpriseHistoryRequest(credit_code=code))
    assert [(e.version, e.change) for e in history.entries] == [(1, "registered"), (2, "moved")]
    assert history.entries[1].reason == "moved to the high-tech zone"
    got = events(broker.bootstrap, ENTERPRISE_EVENTS.name, code, 2)
    assert [(env.sequence, env.type) for env, _ in got] == [
        (1, "cn.gov.jiangmen.sti.enterprise.registered.v1"), (2, "cn.gov.jiangmen.sti.enterprise.moved.v1")]
    assert [env.id for env, _ in got] == [e.event_id for e in history.entries]
    last = pb.EnterpriseChanged.FromString(got[1][1])
    assert last.enterprise.district == "440704" and len(last.enterprise.district_history) == 2
    assert last.actor == "steward@dev"


def test_request_id_retry_applies_once(registry) -> None:  # type: ignore[no-untyped-def]
    code = new_code()
    register(registry, code)
    req = pb.GrantQualificationRequest(credit_code=code, kind="tech_sme", number="2023440703A0001",
                                       granted_on="2023-04-11", request_id=f"grant-{code}")
    first = registry.GrantQualification(req, metadata=STEWARD)
    again = registry.GrantQualification(req, metadata=STEWARD)
    assert first == again and len(again.qualifications) == 1
    assert registry.Get(pb.GetEnterpriseRequest(credit_code=code)).version == 2


def test_renewal_on_the_boundary_date_and_list_filters(registry) -> None:  # type: ignore[no-untyped-def]
    code, other = new_code(), new_code("440705")
    register(registry, code)
    register(registry, other, district="440705")
    registry.GrantQualification(pb.GrantQualificationRequest(
        credit_code=code, kind="high_tech_enterprise", number="GR202144001234", granted_on="2021-12-20"),
        metadata=STEWARD)
    status, meta, _ = rejection(lambda: registry.RenewQualification(pb.RenewQualificationRequest(
        credit_code=code, qualification_id="q1", number="GR202444009999", renewed_on="2024-12-21"),
        metadata=STEWARD))
    assert (status, meta["yinling-field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "renewed_on")
    renewed = registry.RenewQualification(pb.RenewQualificationRequest(
        credit_code=code, qualification_id="q1", number="GR202444009999", renewed_on="2024-12-20"),
        metadata=STEWARD)
    assert [(q.granted_on, q.valid_until) for q in renewed.qualifications] == [
        ("2021-12-20", "2024-12-20"), ("2024-12-20", "2027-12-20")]
    holders = registry.List(pb.ListEnterprisesRequest(qualification_kind="high_tech_enterprise"))
    assert [e.credit_code for e in holders.enterprises] == [code]
    page = registry.List(pb.ListEnterprisesRequest(page=PageRequest(page_size=1)))
    rest = registry.List(pb.ListEnterprisesRequest(page=PageRequest(page_size=1, page_token=page.next_page_token)))
    assert page.total == 2 and {page.enterprises[0].credit_code, rest.enterprises[0].credit_code} == {code, other}
    assert rest.next_page_token == ""
    in_xinhui = registry.List(pb.ListEnterprisesRequest(district="440705"))
    assert [e.credit_code for e in in_xinhui.enterprises] == [other]


def test_rejected_revocation_changes_nothing(registry) -> None:  # type: ignore[no-untyped-def]
    code = new_code()
    register(registry, code)
    registry.GrantQualification(pb.GrantQualificationRequest(
        credit_code=code, kind="little_giant", granted_on="2022-07-01"), metadata=STEWARD)
    status, meta, _ = rejection(lambda: registry.RevokeQualification(pb.RevokeQualificationRequest(
        credit_code=code, qualification_id="q1", revoked_on="2023-01-01"), metadata=STEWARD))
    assert (status, meta["yinling-field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "reason")
    assert registry.Get(pb.GetEnterpriseRequest(credit_code=code)).qualifications[0].revoked_on == ""
    assert len(registry.History(pb.EnterpriseHistoryRequest(credit_code=code)).entries) == 2


def test_regional_revision_is_published_with_revision_two(registry, broker) -> None:  # type: ignore[no-untyped-def]
    # A key of its own on the shared topic (both database runs publish there).
    year, territory = random.randrange(1978, 2023), random.choice(sorted(DISTRICTS))
    figure = pb.RegionalStatistic(territory=territory, year=year, measure="rd_expenditure", value="98765.43",
                                  source="江门统计年鉴, table 19-2", reported_on=f"{year + 1}-04-01")
    registry.ReportRegionalStatistic(pb.ReportRegionalStatisticRequest(statistic=figure), metadata=STEWARD)
    status, meta, _ = rejection(lambda: registry.ReportRegionalStatistic(pb.ReportRegionalStatisticRequest(
        statistic=pb.RegionalStatistic(**{**_fields(figure), "value": "99000"})), metadata=STEWARD))
    assert (status, meta["yinling-field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "reason")
    revised = registry.ReportRegionalStatistic(pb.ReportRegionalStatisticRequest(
        statistic=pb.RegionalStatistic(**{**_fields(figure), "value": "99000", "reported_on": f"{year + 1}-09-01"}),
        reason="revised after the economic census"), metadata=STEWARD)
    assert (revised.revision, revised.value) == (2, "99000")
    current = registry.ListRegionalStatistics(pb.ListRegionalStatisticsRequest(territory=territory, year=year))
    assert [(s.revision, s.value) for s in current.statistics] == [(2, "99000")]
    every = registry.ListRegionalStatistics(pb.ListRegionalStatisticsRequest(year=year, measure="rd_expenditure",
                                                                     include_revisions=True))
    assert [(s.revision, s.value) for s in every.statistics] == [(1, "98765.43"), (2, "99000")]
    key = f"{territory}/{year}/rd_expenditure"
    got = events(broker.bootstrap, STATISTICS_EVENTS.name, key, 2)
    payloads = [pb.StatisticReported.FromString(v) for _, v in got]
    assert [(p.change, p.statistic.revision) for p in payloads] == [("reported", 1), ("revised", 2)]
    assert payloads[1].reason == "revised after the economic census"
    assert [env.sequence for env, _ in got] == [1, 2]


def _fields(figure: pb.RegionalStatistic) -> dict[str, object]:
    return {f.name: v for f, v in figure.ListFields()}

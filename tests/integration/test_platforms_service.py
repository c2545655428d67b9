"""The platform registry through real gRPC, on SQLite and PostgreSQL, with the real broker."""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from kafka import KafkaConsumer, TopicPartition
from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import func, select

from services.platforms import store
from services.platforms.corrections import correct
from services.platforms.main import MODELS, bindings
from services.platforms.store import PlatformHistoryRow, PlatformRecord
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.envelope import Envelope
from yinling.errors import Conflict
from yinling.outbox import OutboxRecord
from yinling.service import start_service
from yinling.topics import AUDIT, PLATFORM_EVENTS
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.common_pb2 import PageRequest
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

STEWARD = bearer("dev-steward")
PROVINCIAL = pb.PLATFORM_LEVEL_PROVINCIAL
NATIONAL = pb.PLATFORM_LEVEL_NATIONAL


def records_of(bootstrap: str, key: str, count: int, timeout_s: float = 20.0) -> list:
    """Every record of the topic with this key, read from the beginning until at least `count`
    arrived and nothing more comes."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=1000)
    try:
        parts = [TopicPartition(PLATFORM_EVENTS.name, p)
                 for p in sorted(consumer.partitions_for_topic(PLATFORM_EVENTS.name) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        found: list = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            polled = [r for batch in consumer.poll(timeout_ms=500).values() for r in batch]
            found.extend(r for r in polled if r.key == key.encode())
            if len(found) >= count and not polled:  # drained: a duplicate would show up too
                break
        return found
    finally:
        consumer.close()


def envelopes(records: list) -> list[Envelope]:
    return [Envelope.from_record(r.key, r.value, r.headers) for r in records]


@pytest.fixture
def service(broker, database_url):
    runtime = start_service("platforms", Settings(bootstrap_servers=broker.bootstrap), MODELS,
                            bindings, grpc_port=free_port(), database_url=database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield runtime, channel
    channel.close()
    runtime.stop()


def register(stub: PlatformRegistryStub, name: str = "江门市新材料工程技术研究中心", **changes) -> pb.Platform:
    fields = dict(name=name, kind="engineering_technology_research_centre",
                  host_organisation="江门某新材料有限公司", district="440704",
                  industry_cluster="new materials", registered_on="2021-04-01")
    fields.update(changes)
    return stub.Register(pb.RegisterPlatformRequest(**fields), metadata=STEWARD)


def counts(runtime) -> tuple[int, int, int]:
    with runtime.sessions() as s:
        events = select(func.count()).select_from(OutboxRecord).where(OutboxRecord.topic != AUDIT.name)
        return tuple(s.scalar(q) for q in (  # type: ignore[return-value]
            select(func.count()).select_from(PlatformRecord),
            select(func.count()).select_from(PlatformHistoryRow), events))


def test_register_and_accredit_publish_events_in_order(service, broker):
    runtime, channel = service
    stub = PlatformRegistryStub(channel)
    p = register(stub)
    assert p.id.startswith("plt-") and p.version == 1
    p = stub.Accredit(pb.AccreditPlatformRequest(platform_id=p.id, level=PROVINCIAL,
                                                 accredited_on="2022-06-01"), metadata=STEWARD)
    assert p.status == pb.PLATFORM_STATUS_ACCREDITED and p.version == 2
    events = envelopes(records_of(broker.bootstrap, p.id, 2))
    assert [e.type for e in events] == ["cn.gov.jiangmen.sti.platform.registered.v1",
                                        "cn.gov.jiangmen.sti.platform.accredited.v1"]
    assert [(e.subject, e.key, e.sequence, e.source) for e in events] == [
        (p.id, p.id, 1, "/yinling/platforms"), (p.id, p.id, 2, "/yinling/platforms")]
    last = pb.PlatformChanged.FromString(events[-1].data)
    assert last.platform == p and last.change == "accredited" and last.actor == "steward@dev"
    history = stub.History(pb.PlatformHistoryRequest(platform_id=p.id))
    assert [e.event_id for e in history.entries] == [e.id for e in events]
    assert list(history.snapshots)[-1] == p


def test_a_rejected_command_writes_neither_record_nor_event(service):
    runtime, channel = service
    stub = PlatformRegistryStub(channel)
    with pytest.raises(grpc.RpcError) as exc:
        register(stub, district="110000")
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(exc.value.trailing_metadata())["yinling-field"] == "district"
    assert counts(runtime) == (0, 0, 0)
    p = register(stub)
    with pytest.raises(grpc.RpcError) as exc:
        stub.Accredit(pb.AccreditPlatformRequest(platform_id=p.id, level=NATIONAL, accredited_on="2020-01-01"),
                      metadata=STEWARD)
    assert dict(exc.value.trailing_metadata())["yinling-field"] == "accredited_on"
    assert counts(runtime) == (1, 1, 1)
    assert stub.Get(pb.GetPlatformRequest(platform_id=p.id)) == p


def test_a_duplicate_name_within_one_host_is_refused_whatever_the_spacing(service):
    runtime, channel = service
    stub = PlatformRegistryStub(channel)
    register(stub, name="Jiangmen Smart Lighting Centre")
    with pytest.raises(grpc.RpcError) as exc:
        register(stub, name="  jiangmen smart  lighting centre")
    trailer = dict(exc.value.trailing_metadata())
    assert trailer["yinling-field"] == "name"
    assert "江门某新材料有限公司" in unquote(trailer["yinling-reason"])  # non-ASCII survives the trailer
    register(stub, name="Jiangmen Smart Lighting Centre", host_organisation="Another host Ltd")
    assert counts(runtime) == (2, 2, 2)


def test_a_retried_request_is_applied_once(service):
    runtime, channel = service
    stub = PlatformRegistryStub(channel)
    request = pb.RegisterPlatformRequest(name="恩平麦克风产业研究院", kind="industry_technology_research_institute",
                                         host_organisation="恩平市政府", district="440785",
                                         registered_on="2022-01-10", request_id=str(uuid.uuid4()))
    first = stub.Register(request, metadata=STEWARD)
    again = stub.Register(request, metadata=STEWARD)
    assert again == first
    assert counts(runtime) == (1, 1, 1)


def test_a_correction_without_reason_is_refused_and_one_with_reason_is_kept(service):
    runtime, channel = service
    stub = PlatformRegistryStub(channel)
    p = register(stub)
    with pytest.raises(grpc.RpcError) as exc:
        stub.Correct(pb.CorrectPlatformRequest(platform_id=p.id, field="district", value="440705"),
                     metadata=STEWARD)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(exc.value.trailing_metadata())["yinling-field"] == "reason"
    fixed = stub.Correct(pb.CorrectPlatformRequest(platform_id=p.id, field="district", value="440705",
                                                   reason="filed under the wrong district"), metadata=STEWARD)
    assert fixed.district == "440705" and fixed.version == 2
    entry = stub.History(pb.PlatformHistoryRequest(platform_id=p.id)).entries[-1]
    assert (entry.change, entry.reason, list(entry.corrected_fields)) == (
        "corrected", "filed under the wrong district", ["district"])


def test_commands_need_a_steward_token(service):
    _, channel = service
    with pytest.raises(grpc.RpcError) as exc:
        PlatformRegistryStub(channel).Register(pb.RegisterPlatformRequest(name="x"))
    assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_list_filters_and_pages_in_name_order(service):
    _, channel = service
    stub = PlatformRegistryStub(channel)
    names = [f"Centre {i:02d}" for i in range(7)]
    ids = {}
    for n in reversed(names):
        ids[n] = register(stub, name=n).id
    stub.Accredit(pb.AccreditPlatformRequest(platform_id=ids["Centre 03"], level=PROVINCIAL,
                                             accredited_on="2022-01-01"), metadata=STEWARD)
    register(stub, name="Elsewhere", district="440781")
    seen, token = [], ""
    while True:
        page = stub.List(pb.ListPlatformsRequest(district="440704", page=PageRequest(page_size=3, page_token=token)))
        assert page.total == 7
        seen += [p.name for p in page.platforms]
        token = page.next_page_token
        if not token:
            break
    assert seen == names
    accredited = stub.List(pb.ListPlatformsRequest(level=PROVINCIAL, status=pb.PLATFORM_STATUS_ACCREDITED))
    assert [p.id for p in accredited.platforms] == [ids["Centre 03"]] and accredited.total == 1


def test_health_is_serving_and_reflection_lists_the_registry(service):
    _, channel = service
    health = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service="yinling.v1.PlatformRegistry"))
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    answers = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = [s.name for a in answers for s in a.list_services_response.service]
    assert "yinling.v1.PlatformRegistry" in names


def test_a_command_working_on_a_stale_version_is_refused(service):
    runtime, channel = service
    p = register(PlatformRegistryStub(channel))
    first, _ = correct(p, "industry_cluster", "photonics", "cluster renamed", "2024-01-01T00:00:00Z")
    second, _ = correct(p, "industry_cluster", "lighting", "cluster renamed", "2024-01-01T00:00:00Z")
    with runtime.sessions.begin() as s:
        store.save(s, first)
    with pytest.raises(Conflict), runtime.sessions.begin() as s:
        store.save(s, second)  # read at version 1 like the first, which got there before
    with runtime.sessions() as s:
        assert store.load(s, p.id).industry_cluster == "photonics"


def test_concurrent_retries_of_one_request_change_the_platform_once(service):
    runtime, channel = service
    stub = PlatformRegistryStub(channel)
    p = register(stub)
    request = pb.EvaluatePlatformRequest(platform_id=p.id, year=2023, grade="pass",
                                         evaluated_on="2024-02-01", request_id=str(uuid.uuid4()))
    stub.Accredit(pb.AccreditPlatformRequest(platform_id=p.id, level=PROVINCIAL, accredited_on="2022-06-01"),
                  metadata=STEWARD)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: stub.Evaluate(request, metadata=STEWARD), range(4)))
    assert all(a == answers[0] for a in answers) and answers[0].version == 3
    assert counts(runtime) == (1, 3, 3)


def test_health_checks_and_reflection_are_not_counted_as_api_requests(service):
    _, channel = service

    def count(method: str) -> float:
        value = REGISTRY.get_sample_value(
            "yinling_grpc_requests_total", {"service": "platforms", "method": method, "code": "OK"})
        return value or 0.0

    registered = count("Register")
    for _ in range(3):
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        list(reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    register(PlatformRegistryStub(channel), name="计数测试研究中心")
    assert count("Register") == registered + 1
    assert count("Check") == 0 and count("Watch") == 0 and count("ServerReflectionInfo") == 0
    scraped = generate_latest(REGISTRY).decode()
    assert 'method="Check"' not in scraped and "yinling_grpc_requests_total{" in scraped

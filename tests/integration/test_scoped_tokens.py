"""Issued tokens against a real platform registry (real gRPC server, SQLite and PostgreSQL,
real broker): writes without a token, with an expired or revoked token, with the wrong scope
or outside the token's district are refused naming why; every refusal and every write is in
the audit table and on the audit topic."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import select
from test_enterprises_service import new_code

from services.enterprises.main import MODELS as ENTERPRISE_MODELS
from services.enterprises.main import bindings as enterprise_bindings
from services.platforms.main import MODELS, bindings
from yinling.audit import AuditRecord
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.db import make_engine
from yinling.outbox import OutboxRecord
from yinling.service import start_service
from yinling.tokens import TokenStore
from yinling.topics import AUDIT
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.audit_pb2 import AccessAudited
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

CACHE_S = 0.2
REGISTER = "/yinling.v1.PlatformRegistry/Register"


@pytest.fixture
def platforms(broker, database_url, monkeypatch):
    monkeypatch.setenv("YINLING_TOKEN_CACHE_S", str(CACHE_S))
    runtime = start_service("platforms", Settings(bootstrap_servers=broker.bootstrap), MODELS, bindings,
                            grpc_port=free_port(), database_url=database_url, tokens_url=database_url)
    store = TokenStore(make_engine(database_url), cache_s=0)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield runtime, store, PlatformRegistryStub(channel)
    channel.close()
    store.close()
    runtime.stop()


def register(stub: PlatformRegistryStub, metadata, district: str = "440703") -> pb.Platform:
    return stub.Register(pb.RegisterPlatformRequest(
        name=f"江门市激光智造工程技术研究中心{uuid.uuid4().hex[:6]}", kind="engineering_technology_research_centre",
        host_organisation="江门某激光有限公司", district=district, registered_on="2021-04-01"),
        metadata=metadata, timeout=10)


def refusal(call) -> tuple[grpc.StatusCode, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def audited(runtime) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return list(s.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def test_a_write_without_a_token_is_refused_and_audited(platforms):
    runtime, _, stub = platforms
    code, details = refusal(lambda: register(stub, ()))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    assert "platforms:write" in details
    (record,) = audited(runtime)
    assert (record.token_id, record.agency, record.method, record.outcome) == \
        ("", "anonymous", REGISTER, "UNAUTHENTICATED")
    assert record.peer.startswith(("ipv4:127.0.0.1:", "ipv6:"))


def test_an_expired_token_is_refused_naming_its_expiry(platforms, database_url):
    runtime, _, stub = platforms
    long_ago = datetime.now(UTC) - timedelta(days=100)
    past = TokenStore(make_engine(database_url), cache_s=0, clock=lambda: long_ago)
    issued = past.issue("江海区科技局", ["platforms:write"], [], timedelta(days=90))
    past.close()
    code, details = refusal(lambda: register(stub, bearer(issued.secret)))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    assert f"token {issued.info.id} expired at" in details
    (record,) = audited(runtime)
    assert (record.token_id, record.agency, record.outcome) == \
        (issued.info.id, "江海区科技局", "UNAUTHENTICATED")


def test_a_token_revoked_while_the_service_runs_is_refused_without_a_restart(platforms):
    runtime, store, stub = platforms
    issued = store.issue("蓬江区科技局", ["platforms:write"], [], timedelta(days=90))
    register(stub, bearer(issued.secret))
    store.revoke(issued.info.id)
    deadline = time.monotonic() + 10 * CACHE_S
    while True:  # accepted at most until the service's cache of the token runs out
        try:
            register(stub, bearer(issued.secret))
        except grpc.RpcError as exc:
            assert exc.code() is grpc.StatusCode.UNAUTHENTICATED
            assert exc.details() == f"token {issued.info.id} was revoked"
            break
        assert time.monotonic() < deadline, "the revoked token is still accepted"
        time.sleep(CACHE_S / 4)
    outcomes = [r.outcome for r in audited(runtime) if r.token_id == issued.info.id]
    assert outcomes[-1] == "UNAUTHENTICATED" and set(outcomes[:-1]) == {"OK"}


def test_a_token_without_the_scope_is_refused(platforms):
    runtime, store, stub = platforms
    issued = store.issue("市统计局", ["enterprises:write", "talent:read"], [], timedelta(days=1))
    code, details = refusal(lambda: register(stub, bearer(issued.secret)))
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert "lacks the scope 'platforms:write'" in details
    assert [r.outcome for r in audited(runtime)] == ["PERMISSION_DENIED"]


def test_a_district_token_writes_in_its_district_only(platforms):
    runtime, store, stub = platforms
    own = store.issue("蓬江区科技局", ["platforms:write"], ["440703"], timedelta(days=90))
    mine = register(stub, bearer(own.secret), district="440703")
    # A new platform elsewhere, a command on another district's platform, a correction that
    # moves its own platform away and a batch with one foreign command: all refused.
    other = register(stub, bearer("dev-steward"), district="440704")
    attempts = {
        "register": lambda: register(stub, bearer(own.secret), district="440704"),
        "accredit": lambda: stub.Accredit(pb.AccreditPlatformRequest(
            platform_id=other.id, level=pb.PLATFORM_LEVEL_PROVINCIAL, accredited_on="2022-06-01"),
            metadata=bearer(own.secret)),
        "correct": lambda: stub.Correct(pb.CorrectPlatformRequest(
            platform_id=mine.id, field="district", value="440705", reason="moved"),
            metadata=bearer(own.secret)),
        "batch": lambda: stub.ApplyCommands(pb.ApplyPlatformCommandsRequest(commands=[
            pb.PlatformCommand(accredit=pb.AccreditPlatformRequest(
                platform_id=mine.id, level=pb.PLATFORM_LEVEL_PROVINCIAL, accredited_on="2022-06-01")),
            pb.PlatformCommand(accredit=pb.AccreditPlatformRequest(
                platform_id=other.id, level=pb.PLATFORM_LEVEL_PROVINCIAL, accredited_on="2022-06-01"))]),
            metadata=bearer(own.secret)),
    }
    for name, attempt in attempts.items():
        code, details = refusal(attempt)
        assert code is grpc.StatusCode.PERMISSION_DENIED, name
        assert "limited to district 440703" in details, name
    assert "touches district 440704" in refusal(attempts["accredit"])[1]
    assert "touches district 440705" in refusal(attempts["correct"])[1]
    accredited = stub.Accredit(pb.AccreditPlatformRequest(
        platform_id=mine.id, level=pb.PLATFORM_LEVEL_PROVINCIAL, accredited_on="2022-06-01"),
        metadata=bearer(own.secret))
    assert accredited.status == pb.PLATFORM_STATUS_ACCREDITED
    assert stub.Get(pb.GetPlatformRequest(platform_id=other.id)).status == pb.PLATFORM_STATUS_UNDER_CONSTRUCTION
    ours = [(r.method.rsplit("/", 1)[-1], r.outcome) for r in audited(runtime) if r.token_id == own.info.id]
    assert ours == [("Register", "OK"), ("Register", "PERMISSION_DENIED"), ("Accredit", "PERMISSION_DENIED"),
                    ("Correct", "PERMISSION_DENIED"), ("ApplyCommands", "PERMISSION_DENIED"),
                    ("Accredit", "PERMISSION_DENIED"), ("Correct", "PERMISSION_DENIED"), ("Accredit", "OK")]


def test_a_write_within_scope_is_audited_with_it_and_on_the_audit_topic(platforms, broker):
    runtime, store, stub = platforms
    issued = store.issue("新会区科技局", ["platforms:write"], ["440705"], timedelta(days=30))
    platform = register(stub, bearer(issued.secret), district="440705")
    assert refusal(lambda: register(stub, bearer(issued.secret + "x")))[0] is grpc.StatusCode.UNAUTHENTICATED
    ok, garbage = audited(runtime)
    assert (ok.token_id, ok.agency, ok.method, ok.outcome, ok.reason) == \
        (issued.info.id, "新会区科技局", REGISTER, "OK", "")
    assert (garbage.token_id, garbage.outcome, garbage.reason) == \
        ("", "UNAUTHENTICATED", "the bearer token is not recognised")
    assert platform.version == 1
    on_topic = audit_events(broker.bootstrap, {ok.event_id, garbage.event_id})
    assert {e.outcome for e in on_topic.values()} == {"OK", "UNAUTHENTICATED"}
    event = on_topic[ok.event_id]
    assert (event.token_id, event.agency, event.service, event.method, event.peer) == \
        (issued.info.id, "新会区科技局", "platforms", REGISTER, ok.peer)


def audit_events(bootstrap: str, event_ids: set[str], timeout_s: float = 20.0) -> dict[str, AccessAudited]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=1000)
    try:
        parts = [TopicPartition(AUDIT.name, p) for p in sorted(consumer.partitions_for_topic(AUDIT.name) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        found: dict[str, AccessAudited] = {}
        deadline = time.monotonic() + timeout_s
        while set(found) != event_ids and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    ce_id = dict(record.headers).get("ce_id", b"").decode()
                    if ce_id in event_ids:
                        found[ce_id] = AccessAudited.FromString(record.value)
        return found
    finally:
        consumer.close()


def test_a_district_token_may_not_move_an_enterprise_out_of_its_district(broker, database_url, monkeypatch):
    runtime = start_service("enterprises", Settings(bootstrap_servers=broker.bootstrap), ENTERPRISE_MODELS,
                            enterprise_bindings, grpc_port=free_port(), database_url=database_url,
                            tokens_url=database_url)
    store = TokenStore(make_engine(database_url), cache_s=0)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
            stub = EnterpriseRegistryStub(channel)
            own = bearer(store.issue("蓬江区科技局", ["enterprises:write"], ["440703"], timedelta(days=1)).secret)
            code = new_code()
            stub.Register(ent.RegisterEnterpriseRequest(
                credit_code=code, name="江门星河科技有限公司", district="440703",
                industry_cluster="new_materials", registered_on="2019-04-01"), metadata=own, timeout=10)
            move = ent.MoveEnterpriseRequest(credit_code=code, district="440704", moved_on="2023-05-01")
            code_, details = refusal(lambda: stub.Move(move, metadata=own, timeout=10))
            assert code_ is grpc.StatusCode.PERMISSION_DENIED and "touches district 440704" in details
            moved = stub.Move(move, metadata=bearer("dev-steward"), timeout=10)  # a city-wide token may
            assert moved.district == "440704"
            # Now in another district, the enterprise is out of the district token's reach.
            back = ent.MoveEnterpriseRequest(credit_code=code, district="440703", moved_on="2024-05-01")
            assert "touches district 440704" in refusal(lambda: stub.Move(back, metadata=own, timeout=10))[1]
    finally:
        store.close()
        runtime.stop()


def test_a_write_is_audited_once_in_its_transaction_and_a_refused_command_not_at_all(platforms):
    runtime, store, stub = platforms
    issued = store.issue("鹤山市科技局", ["platforms:write"], ["440784"], timedelta(days=1))
    request = pb.RegisterPlatformRequest(
        name=f"鹤山市新材料工程技术研究中心{uuid.uuid4().hex[:6]}", kind="engineering_technology_research_centre",
        host_organisation="鹤山某新材料有限公司", district="440784", registered_on="2021-04-01",
        request_id=str(uuid.uuid4()))
    first = stub.Register(request, metadata=bearer(issued.secret), timeout=10)
    again = stub.Register(request, metadata=bearer(issued.secret), timeout=10)  # a retry: same answer
    assert again == first
    invalid = pb.RegisterPlatformRequest(name="x", kind="no_such_kind", district="440784")
    assert refusal(lambda: stub.Register(invalid, metadata=bearer(issued.secret)))[0] \
        is grpc.StatusCode.INVALID_ARGUMENT
    records = audited(runtime)
    assert [(r.token_id, r.outcome) for r in records] == [(issued.info.id, "OK"), (issued.info.id, "OK")]
    with runtime.sessions() as s:
        audit_events_staged = s.scalars(select(OutboxRecord.event_id).where(OutboxRecord.topic == AUDIT.name)).all()
    assert sorted(audit_events_staged) == sorted(r.event_id for r in records)

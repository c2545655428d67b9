"""EnterpriseRegistry.ApplyCommands: many commands in one call and one transaction, each
answered as its single call would be; a refused one changes nothing and the rest go on."""
from __future__ import annotations

import random
import time
import uuid
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
from yinling.service import start_service
from yinling.topics import ENTERPRISE_EVENTS
from yinling.v1 import enterprises_pb2 as pb
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


def code() -> str:
    return make_credit_code("440703", random.randrange(10**8))


def register(credit_code: str) -> pb.EnterpriseCommand:
    return pb.EnterpriseCommand(register=pb.RegisterEnterpriseRequest(
        credit_code=credit_code, name=f"江门批量科技有限公司{credit_code[-4:]}", district="440703",
        industry_cluster="new_materials", registered_on="2019-04-01", request_id=str(uuid.uuid4())))


def grant(credit_code: str, number: str) -> pb.EnterpriseCommand:
    return pb.EnterpriseCommand(grant_qualification=pb.GrantQualificationRequest(
        credit_code=credit_code, kind="high_tech_enterprise", number=number,
        granted_on="2022-12-01", request_id=str(uuid.uuid4())))


def test_commands_apply_in_order_and_a_refused_one_leaves_the_others(registry, broker):
    first, second, unknown = code(), code(), code()
    batch = pb.ApplyEnterpriseCommandsRequest(commands=[
        register(first), grant(first, "GR202244000001"),   # the same firm twice, in order
        grant(unknown, "GR202244000002"),                 # no such firm: refused
        register(first),                                  # registered already: refused
        register(second)])
    outcomes = registry.ApplyCommands(batch, metadata=STEWARD, timeout=10).outcomes
    assert [o.WhichOneof("outcome") for o in outcomes] == [
        "enterprise", "enterprise", "error", "error", "enterprise"]
    assert (outcomes[2].error.code, outcomes[3].error.code) == ("NOT_FOUND", "INVALID_ARGUMENT")
    assert outcomes[3].error.field == "credit_code"
    assert outcomes[1].enterprise.version == 2
    assert [q.number for q in outcomes[1].enterprise.qualifications] == ["GR202244000001"]
    stored = registry.Get(pb.GetEnterpriseRequest(credit_code=first), timeout=10)
    assert stored == outcomes[1].enterprise
    assert registry.Get(pb.GetEnterpriseRequest(credit_code=second), timeout=10).version == 1
    with pytest.raises(grpc.RpcError) as caught:
        registry.Get(pb.GetEnterpriseRequest(credit_code=unknown), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    history = registry.History(pb.EnterpriseHistoryRequest(credit_code=first), timeout=10).entries
    assert [h.version for h in history] == [1, 2]
    published = sequences(broker.bootstrap, first, 2)
    assert published == [1, 2], "the relay publishes the batch's events, in order"


def sequences(bootstrap: str, key: str, count: int) -> list[int]:
    """ce_sequence of the events with this key, waiting (bounded) until `count` came."""
    consumer = KafkaConsumer(ENTERPRISE_EVENTS.name, bootstrap_servers=bootstrap,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    found: list[int] = []
    end = time.monotonic() + 20
    try:
        while len(found) < count and time.monotonic() < end:
            for records in consumer.poll(timeout_ms=500).values():
                found += [int(dict(r.headers)["ce_sequence"]) for r in records
                          if r.key and r.key.decode() == key]
    finally:
        consumer.close()
    return found


def test_a_batch_sent_again_is_answered_the_same_and_changes_nothing(registry):
    firm = code()
    batch = pb.ApplyEnterpriseCommandsRequest(commands=[register(firm), grant(firm, "GR202344000003")])
    once = registry.ApplyCommands(batch, metadata=STEWARD, timeout=10)
    again = registry.ApplyCommands(batch, metadata=STEWARD, timeout=10)
    assert once == again
    assert registry.Get(pb.GetEnterpriseRequest(credit_code=firm), timeout=10).version == 2


def test_one_request_id_twice_in_a_batch_is_applied_once_and_refused_for_another_request(registry):
    """Rows a command only adds are written at the batch's end (yinling.batch): the second
    copy of a request_id must still find the first, as its single call would."""
    first, second = code(), code()
    registry.ApplyCommands(pb.ApplyEnterpriseCommandsRequest(
        commands=[register(first), register(second)]), metadata=STEWARD, timeout=10)
    granted = grant(first, "GR202344000004")
    other = grant(second, "GR202344000005")
    other.grant_qualification.request_id = granted.grant_qualification.request_id
    reply = registry.ApplyCommands(pb.ApplyEnterpriseCommandsRequest(
        commands=[granted, other, granted]), metadata=STEWARD, timeout=10)
    assert reply.outcomes[0] == reply.outcomes[2]
    assert reply.outcomes[0].enterprise.version == 2
    assert (reply.outcomes[1].error.code, reply.outcomes[1].error.field) == ("INVALID_ARGUMENT", "request_id")
    assert registry.Get(pb.GetEnterpriseRequest(credit_code=first), timeout=10).version == 2
    assert registry.Get(pb.GetEnterpriseRequest(credit_code=second), timeout=10).version == 1


def test_a_batch_needs_the_steward_role_and_at_most_500_commands(registry):
    batch = pb.ApplyEnterpriseCommandsRequest(commands=[register(code())])
    with pytest.raises(grpc.RpcError) as caught:
        registry.ApplyCommands(batch, timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    too_many = pb.ApplyEnterpriseCommandsRequest(commands=[register(code()) for _ in range(501)])
    with pytest.raises(grpc.RpcError) as caught:
        registry.ApplyCommands(too_many, metadata=STEWARD, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT

"""PlatformRegistry.ApplyCommands: the registry's commands in one call and one transaction,
each answered as its single call would be; a refused one changes nothing, the rest go on."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest

from services.platforms.main import bindings
from services.platforms.store import MODELS
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.service import start_service
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

STEWARD = bearer("dev-steward")


@pytest.fixture
def registry(broker, database_url: str) -> Iterator[PlatformRegistryStub]:  # type: ignore[no-untyped-def]
    runtime = start_service("platforms", Settings(bootstrap_servers=broker.bootstrap), MODELS,
                            bindings, grpc_port=free_port(), database_url=database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield PlatformRegistryStub(channel)
    channel.close()
    runtime.stop()


def register(name: str) -> pb.PlatformCommand:
    return pb.PlatformCommand(register=pb.RegisterPlatformRequest(
        name=name, kind="engineering_technology_research_centre", host_organisation="江门某新材料有限公司",
        district="440704", industry_cluster="new_materials", registered_on="2021-04-01",
        request_id=str(uuid.uuid4())))


def accredit(platform_id: str, level: int = pb.PLATFORM_LEVEL_PROVINCIAL) -> pb.PlatformCommand:
    return pb.PlatformCommand(accredit=pb.AccreditPlatformRequest(
        platform_id=platform_id, level=level, accredited_on="2022-03-01", reason="认定",  # type: ignore[arg-type]
        request_id=str(uuid.uuid4())))


def evaluate(platform_id: str) -> pb.PlatformCommand:
    return pb.PlatformCommand(evaluate=pb.EvaluatePlatformRequest(
        platform_id=platform_id, year=2022, grade="good", evaluated_on="2023-02-01",
        request_id=str(uuid.uuid4())))


def apply(registry: PlatformRegistryStub, *commands: pb.PlatformCommand) -> list[pb.PlatformCommandOutcome]:
    request = pb.ApplyPlatformCommandsRequest(commands=list(commands))
    return list(registry.ApplyCommands(request, metadata=STEWARD, timeout=10).outcomes)


def test_a_batch_registers_then_later_batches_change_in_order_and_refusals_stand_alone(registry):
    suffix = uuid.uuid4().hex[:6]
    first, second = apply(registry, register(f"江门市批量工程中心甲{suffix}"),
                          register(f"江门市批量工程中心乙{suffix}"))
    a, b = first.platform.id, second.platform.id
    assert a and b and a != b
    outcomes = apply(registry, accredit(a), evaluate(a), accredit("plt-none"),
                     accredit(b, pb.PLATFORM_LEVEL_UNSPECIFIED), accredit(b))
    assert [o.WhichOneof("outcome") for o in outcomes] == [
        "platform", "platform", "error", "error", "platform"]
    assert outcomes[2].error.code == "NOT_FOUND"
    assert (outcomes[3].error.code, outcomes[3].error.field) == ("INVALID_ARGUMENT", "level")
    assert [outcomes[0].platform.version, outcomes[1].platform.version] == [2, 3]
    stored = registry.Get(pb.GetPlatformRequest(platform_id=a), timeout=10)
    assert stored == outcomes[1].platform and stored.status == pb.PLATFORM_STATUS_ACCREDITED
    assert registry.Get(pb.GetPlatformRequest(platform_id=b), timeout=10).version == 2


def test_a_batch_command_without_a_command_is_refused_alone(registry):
    outcomes = apply(registry, pb.PlatformCommand(), register(f"江门市批量研究院{uuid.uuid4().hex[:6]}"))
    assert (outcomes[0].error.code, outcomes[0].error.field) == ("INVALID_ARGUMENT", "command")
    assert outcomes[1].platform.version == 1

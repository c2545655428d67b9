"""Server reflection answers on both names, over a real gRPC connection: the stable
grpc.reflection.v1 (newer grpcurl, Postman) and grpc.reflection.v1alpha (older clients).

The v1 client below speaks grpc.reflection.v1 messages; the v1alpha one is grpcio-reflection's
own client (ProtoReflectionDescriptorDatabase). Each resolves a service's full descriptor."""
from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from yinling.grpc_server import GrpcServer, ServiceBinding
from yinling.reflection import V1_FILE, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME
from yinling.v1 import platforms_pb2_grpc

REGISTRY = "yinling.v1.PlatformRegistry"
HEALTH = "grpc.health.v1.Health"


class V1Client:
    """A grpc.reflection.v1 client: one request per call on the bidirectional stream."""

    def __init__(self, channel: grpc.Channel) -> None:
        pool = descriptor_pool.Default()
        self.request_type = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionRequest"))
        response_type = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionResponse"))
        self.call = channel.stream_stream(
            f"/{V1_SERVICE_NAME}/ServerReflectionInfo",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_type.FromString)

    def ask(self, **request):  # type: ignore[no-untyped-def]
        (answer,) = list(self.call(iter([self.request_type(**request)]), timeout=5))
        return answer

    def services(self) -> set[str]:
        return {s.name for s in self.ask(list_services="").list_services_response.service}

    def files_for(self, symbol: str) -> list[descriptor_pb2.FileDescriptorProto]:
        answer = self.ask(file_containing_symbol=symbol)
        assert not answer.HasField("error_response"), answer.error_response.error_message
        return [descriptor_pb2.FileDescriptorProto.FromString(raw)
                for raw in answer.file_descriptor_response.file_descriptor_proto]


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    binding = ServiceBinding(REGISTRY, platforms_pb2_grpc.add_PlatformRegistryServicer_to_server,
                             platforms_pb2_grpc.PlatformRegistryServicer())
    server = GrpcServer("reflection-test", [binding], "127.0.0.1:0").start()
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as chan:
        yield chan
    server.stop(0)


def test_v1_lists_the_api_health_and_both_reflection_services(channel: grpc.Channel):
    assert V1Client(channel).services() == {REGISTRY, HEALTH, V1_SERVICE_NAME,
                                           V1ALPHA_SERVICE_NAME}


def test_v1_resolves_a_service_with_its_methods_and_their_message_types(channel: grpc.Channel):
    pending = {f.name: f for f in V1Client(channel).files_for(REGISTRY)}
    pool = descriptor_pool.DescriptorPool()
    while pending:  # the file and everything it imports, added dependencies first
        ready = [f for f in pending.values() if all(_has(pool, d) for d in f.dependency)]
        assert ready, f"dependencies never sent: {sorted(pending)}"
        for proto in ready:
            pool.Add(proto)
            del pending[proto.name]
    service = pool.FindServiceByName(REGISTRY)
    register = service.methods_by_name["Register"]
    assert register.input_type.full_name.startswith("yinling.v1.")
    assert "Accredit" in service.methods_by_name


def test_v1_describes_itself_under_its_own_package(channel: grpc.Channel):
    (file,) = [f for f in V1Client(channel).files_for(V1_SERVICE_NAME) if f.name == V1_FILE]
    assert file.package == "grpc.reflection.v1"
    (service,) = file.service
    (method,) = service.method
    assert (method.input_type, method.output_type) == (
        ".grpc.reflection.v1.ServerReflectionRequest", ".grpc.reflection.v1.ServerReflectionResponse")
    assert method.client_streaming and method.server_streaming


def test_v1alpha_still_answers_for_older_clients(channel: grpc.Channel):
    database = ProtoReflectionDescriptorDatabase(channel)
    assert set(database.get_services()) >= {REGISTRY, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME}
    service = descriptor_pool.DescriptorPool(database).FindServiceByName(REGISTRY)
    assert "Register" in service.methods_by_name


def test_an_unknown_symbol_is_answered_with_not_found(channel: grpc.Channel):
    answer = V1Client(channel).ask(file_containing_symbol="yinling.v1.NoSuchService")
    assert answer.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def _has(pool: descriptor_pool.DescriptorPool, name: str) -> bool:
    try:
        pool.FindFileByName(name)
        return True
    except KeyError:
        return False

"""Hostile input against real gRPC servers (issue 7, findings 1, 3, 4, 10): every bad request
gets a clear INVALID_ARGUMENT naming the field, short, with nothing stored, and no traceback."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import grpc
import pytest
from test_enterprises_service import new_code, rejection

from services.enterprises.main import bindings as enterprise_bindings
from services.enterprises.store import MODELS as ENTERPRISE_MODELS
from services.platforms.main import MODELS as PLATFORM_MODELS
from services.platforms.main import bindings as platform_bindings
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.grpc_server import MAX_REQUEST_BYTES
from yinling.service import ServiceRuntime, start_service
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import platforms_pb2 as plat
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

STEWARD = bearer("dev-steward")


def register(stub: EnterpriseRegistryStub, code: str, **overrides: str) -> ent.Enterprise:
    fields = dict(credit_code=code, name="江门星河科技有限公司", district="440703",
                  industry_cluster="new_materials", registered_on="2019-04-01") | overrides
    return stub.Register(ent.RegisterEnterpriseRequest(**fields), metadata=STEWARD)


@pytest.fixture
def servers(broker, tmp_path) -> Iterator[tuple[ServiceRuntime, ServiceRuntime]]:  # type: ignore[no-untyped-def]
    settings = Settings(bootstrap_servers=broker.bootstrap)
    enterprises = start_service("enterprises", settings, ENTERPRISE_MODELS, enterprise_bindings,
                                grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'e.db'}")
    platforms = start_service("platforms", settings, PLATFORM_MODELS, platform_bindings,
                              grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'p.db'}")
    yield enterprises, platforms
    platforms.stop()
    enterprises.stop()


@pytest.fixture
def enterprises(servers) -> Iterator[EnterpriseRegistryStub]:  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(f"127.0.0.1:{servers[0].server.port}") as channel:
        yield EnterpriseRegistryStub(channel)


@pytest.fixture
def platforms(servers) -> Iterator[PlatformRegistryStub]:  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(f"127.0.0.1:{servers[1].server.port}") as channel:
        yield PlatformRegistryStub(channel)


def test_an_oversized_enterprise_name_is_refused_naming_the_field_and_nothing_is_stored(enterprises):
    code = new_code()
    status, trailers, details = rejection(lambda: register(enterprises, code, name="星" * 1_200_000))
    assert status is grpc.StatusCode.INVALID_ARGUMENT
    assert trailers["yinling-field"] == "name" and len(details) < 300
    assert rejection(lambda: enterprises.Get(ent.GetEnterpriseRequest(credit_code=code)))[0] \
        is grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("field", ["industry_cluster", "registered_on", "credit_code"])
def test_an_invalid_string_over_16_kb_is_refused_as_invalid_argument_not_a_metadata_overflow(
        enterprises, field):
    request = ent.RegisterEnterpriseRequest(credit_code=new_code(), name="江门星河科技有限公司",
                                            district="440703", industry_cluster="new_materials",
                                            registered_on="2019-04-01")
    setattr(request, field, "9" * 20_000)
    status, trailers, details = rejection(lambda: enterprises.Register(request, metadata=STEWARD))
    assert status is grpc.StatusCode.INVALID_ARGUMENT
    assert trailers["yinling-field"] == field and len(details) < 300


def test_a_request_larger_than_the_server_takes_is_refused_before_it_is_read(enterprises):
    request = ent.RegisterEnterpriseRequest(credit_code=new_code(), name="x" * (MAX_REQUEST_BYTES + 1))
    status, _, details = rejection(lambda: enterprises.Register(request, metadata=STEWARD))
    assert status is grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in details


@pytest.mark.parametrize("payload", [b"\xff", b"\x0a\x05ab", b"\x08" + b"\xff" * 11])
def test_malformed_protobuf_bytes_answer_invalid_argument_without_a_traceback(
        servers, caplog, payload):
    caplog.set_level(logging.INFO)
    answers = []
    for runtime, service, methods in (
            (servers[0], "yinling.v1.EnterpriseRegistry", ("Register", "Get", "List", "Correct")),
            (servers[1], "yinling.v1.PlatformRegistry", ("Register", "Accredit", "Get"))):
        with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
            for method in methods:
                call = channel.unary_unary(f"/{service}/{method}")  # raw bytes, no serializer
                with pytest.raises(grpc.RpcError) as caught:
                    call(payload, timeout=10)
                answers.append((caught.value.code(), caught.value.details()))
    assert {code for code, _ in answers} == {grpc.StatusCode.INVALID_ARGUMENT}
    assert all("not a valid protobuf message" in details for _, details in answers)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("name", ["\u200b", "\x00", "\ufeff"])
def test_names_of_invisible_or_control_characters_are_refused(enterprises, name):
    status, trailers, _ = rejection(lambda: register(enterprises, new_code(), name=name))
    assert (status, trailers["yinling-field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "name")


@pytest.mark.parametrize("registered_on", ["9999-12-31", "0001-01-01"])
def test_implausible_dates_are_refused(enterprises, registered_on):
    status, trailers, _ = rejection(lambda: register(enterprises, new_code(), registered_on=registered_on))
    assert (status, trailers["yinling-field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "registered_on")


def test_a_platform_revocation_dated_in_the_future_is_refused(platforms):
    p = platforms.Register(plat.RegisterPlatformRequest(
        name="江门激光研究院", kind="new_rd_institution", host_organisation="五邑大学",
        district="440703", registered_on="2022-03-01"), metadata=STEWARD)
    status, trailers, details = rejection(lambda: platforms.Revoke(plat.RevokePlatformRequest(
        platform_id=p.id, revoked_on="2099-01-01", reason="closed"), metadata=STEWARD))
    assert (status, trailers["yinling-field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "revoked_on")
    assert "future" in details
    assert platforms.Get(plat.GetPlatformRequest(platform_id=p.id)).version == 1


def test_a_date_in_basic_iso_form_is_stored_as_yyyy_mm_dd(enterprises):
    e = register(enterprises, new_code(), registered_on="20190401")
    assert getattr(e.district_history[0], "from") == "2019-04-01"

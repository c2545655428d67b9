"""Property: whatever strings a caller puts in a command, the answer is OK or a clear refusal,
never INTERNAL or UNKNOWN, and a refusal stores and publishes nothing (issue 7, "proved by
tests"). Real gRPC servers on SQLite; hypothesis drives the requests."""
from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.enterprises.main import bindings as enterprise_bindings
from services.enterprises.store import MODELS as ENTERPRISE_MODELS
from services.finance.main import MODELS as FINANCE_MODELS
from services.finance.main import bindings as finance_bindings
from services.platforms.main import MODELS as PLATFORM_MODELS
from services.platforms.main import bindings as platform_bindings
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.outbox import OutboxRecord
from yinling.service import ServiceRuntime, start_service
from yinling.topics import AUDIT
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import finance_pb2 as fin
from yinling.v1 import platforms_pb2 as plat
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub
from yinling.v1.finance_pb2_grpc import FinanceRegistryStub
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

STEWARD = bearer("dev-steward")
CLEAR = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
         grpc.StatusCode.NOT_FOUND}
# Plausible values, odd ones and hostile ones, mixed.
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\u200b", "\x00", "9999-12-31", "0001-01-01", "20230101", "2022-W52-7",
                     "2023-02-29", "440703", "new_rd_institution", "credit", "loan", "=1+1",
                     "江门激光研究院", "x" * 5000, "1E+1000000", "-1"]),
)
FEN = st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from([0, 1, 10**14]))


@pytest.fixture(scope="module")
def runtimes(broker, tmp_path_factory) -> Iterator[dict[str, ServiceRuntime]]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("property")
    settings = Settings(bootstrap_servers=broker.bootstrap)
    started = {name: start_service(name, settings, models, binds, grpc_port=free_port(),
                                   database_url=f"sqlite:///{base / (name + '.db')}")
               for name, models, binds in (("platforms", PLATFORM_MODELS, platform_bindings),
                                           ("enterprises", ENTERPRISE_MODELS, enterprise_bindings),
                                           ("finance", FINANCE_MODELS, finance_bindings))}
    yield started
    for runtime in started.values():
        runtime.stop()


def outbox_rows(runtime: ServiceRuntime) -> int:
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(OutboxRecord)
                        .where(OutboxRecord.topic != AUDIT.name)) or 0


def answer_of(runtime: ServiceRuntime, stub_type, method: str, request) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    before = outbox_rows(runtime)
    with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
        try:
            getattr(stub_type(channel), method)(request, metadata=STEWARD, timeout=20)
            code = grpc.StatusCode.OK
        except grpc.RpcError as exc:
            code = exc.code()  # type: ignore[attr-defined]
    assert code in CLEAR, code
    if code is not grpc.StatusCode.OK:
        assert outbox_rows(runtime) == before  # a refusal stores and publishes nothing
    return code


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(name=TEXT, kind=TEXT, host=TEXT, district=TEXT, cluster=TEXT, on=TEXT)
def test_any_platform_registration_gets_a_clear_answer(runtimes, name, kind, host, district, cluster, on):
    answer_of(runtimes["platforms"], PlatformRegistryStub, "Register", plat.RegisterPlatformRequest(
        name=name, kind=kind, host_organisation=host, district=district, industry_cluster=cluster,
        registered_on=on))


@PROPERTY
@given(code=TEXT, name=TEXT, district=TEXT, cluster=TEXT, on=TEXT)
def test_any_enterprise_registration_gets_a_clear_answer(runtimes, code, name, district, cluster, on):
    answer_of(runtimes["enterprises"], EnterpriseRegistryStub, "Register", ent.RegisterEnterpriseRequest(
        credit_code=code, name=name, district=district, industry_cluster=cluster, registered_on=on))


@PROPERTY
@given(kind=TEXT, loan_type=TEXT, code=TEXT, district=TEXT, amount=FEN, on=TEXT, exchange=TEXT)
def test_any_finance_record_gets_a_clear_answer(runtimes, kind, loan_type, code, district, amount, on,
                                                exchange):
    answer_of(runtimes["finance"], FinanceRegistryStub, "Record", fin.RecordFinanceRequest(
        kind=kind, loan_type=loan_type, enterprise_credit_code=code, district=district,
        amount_fen=amount, granted_on=on, exchange=exchange))

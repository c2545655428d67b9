"""The talent service end to end: real gRPC server, real databases, the real broker."""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator

import grpc
import pytest
from kafka import KafkaConsumer, TopicPartition

from services.talent.handlers import TalentHandlers
from services.talent.identity import check_character
from services.talent.main import bindings
from services.talent.store import MODELS, TalentPersonRow, TalentRow
from yinling.auth import bearer
from yinling.broker import EmbeddedBroker, free_port
from yinling.config import Settings
from yinling.credit_code import make_credit_code
from yinling.envelope import Envelope
from yinling.errors import ValidationError
from yinling.service import ServiceRuntime, start_service
from yinling.topics import TALENT_EVENTS
from yinling.v1 import talent_pb2 as pb
from yinling.v1.common_pb2 import PageRequest
from yinling.v1.talent_pb2_grpc import TalentRegistryStub

STEWARD = bearer("dev-steward")
OFFICER = bearer("dev-talent-officer")
FIRM_A = make_credit_code("440703", 11111111)
FIRM_B = make_credit_code("440704", 22222222)


def identity(body17: str) -> str:
    return body17 + check_character(body17)


ZHANG = identity("44070319850101123")
CHEN = identity("44078119920817456")


def person(name: str = "张伟", number: str = ZHANG, **more: object) -> pb.TalentPerson:
    return pb.TalentPerson(name=name, identity_number=number, phone="13800138000",
                           email="zhang.wei@example.cn", **more)  # type: ignore[arg-type]


def commissioner(firm: str = FIRM_A, who: pb.TalentPerson | None = None,
                 **more: object) -> pb.RegisterTalentRequest:
    values: dict[str, object] = dict(category="phd_commissioner", district="440703",
                                     enterprise_credit_code=firm, recognised_on="2023-03-01",
                                     person=who or person())
    values.update(more)
    return pb.RegisterTalentRequest(**values)  # type: ignore[arg-type]


@pytest.fixture
def runtime(broker: EmbeddedBroker, database_url: str) -> Iterator[ServiceRuntime]:
    rt = start_service("talent", Settings(bootstrap_servers=broker.bootstrap), MODELS, bindings,
                       grpc_port=free_port(), database_url=database_url)
    yield rt
    rt.stop()


@pytest.fixture
def stub(runtime: ServiceRuntime) -> Iterator[TalentRegistryStub]:
    with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
        yield TalentRegistryStub(channel)


def records_of(bootstrap: str, key: str, count: int, timeout_s: float = 20.0) -> list:
    """The raw Kafka records with this key, read from the beginning of the topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False, consumer_timeout_ms=500)
    parts = [TopicPartition(TALENT_EVENTS.name, p)
             for p in consumer.partitions_for_topic(TALENT_EVENTS.name) or ()]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    found: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                found.extend(r for r in batch if r.key == key.encode())
    finally:
        consumer.close()
    return found


def refusal(call, request, metadata=STEWARD) -> tuple[grpc.StatusCode, dict]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata)
    return err.value.code(), dict(err.value.trailing_metadata() or ())


def test_events_on_kafka_carry_no_personal_value(stub: TalentRegistryStub,
                                                 broker: EmbeddedBroker) -> None:
    team = pb.RegisterTalentRequest(
        category="innovation_team", district="440704", enterprise_credit_code=FIRM_B,
        recognised_on="2022-09-01",
        person=person(name="江门光电创新团队", member_names=["王芳", "刘洋"]))
    record = stub.Register(team, metadata=STEWARD)
    stub.Correct(pb.CorrectTalentRequest(record_id=record.id, field="person.phone",
                                         value="13900139000", reason="leader changed number"),
                 metadata=STEWARD)
    stub.End(pb.EndTalentRequest(record_id=record.id, ended_on="2024-06-30", reason="dissolved"),
             metadata=STEWARD)
    raw = records_of(broker.bootstrap, record.id, 3)
    assert len(raw) == 3
    secrets = ["江门光电创新团队", ZHANG, "13800138000", "13900139000", "zhang.wei@example.cn",
               "王芳", "刘洋"]
    for r in raw:
        blob = r.key + r.value + b"".join(k.encode() + v for k, v in r.headers)
        assert [s for s in secrets if s.encode() in blob] == []
    events = [(Envelope.from_record(r.key, r.value, r.headers), pb.TalentChanged.FromString(r.value))
              for r in raw]
    assert [c.change for _, c in events] == ["registered", "corrected", "ended"]
    assert [e.sequence for e, _ in events] == [c.record.version for _, c in events] == [1, 2, 3]
    assert events[-1][1].record.ended_on == "2024-06-30"
    assert {c.record.subject_pseudonym for _, c in events} == {record.subject_pseudonym}


def test_get_shows_the_person_only_to_the_personal_data_role(stub: TalentRegistryStub) -> None:
    record = stub.Register(commissioner(), metadata=STEWARD)
    ask = pb.GetTalentRequest(record_id=record.id)
    officer = stub.Get(ask, metadata=OFFICER)
    assert officer.person.name == "张伟" and officer.person.identity_number == ZHANG
    detail = stub.Get(ask, metadata=STEWARD)
    assert detail.record == record and not detail.HasField("person")


def test_anonymous_callers_read_no_talent_record(stub: TalentRegistryStub) -> None:
    record = stub.Register(commissioner(), metadata=STEWARD)
    for call, request in ((stub.Get, pb.GetTalentRequest(record_id=record.id)),
                          (stub.List, pb.ListTalentRequest()),
                          (stub.History, pb.TalentHistoryRequest(record_id=record.id))):
        with pytest.raises(grpc.RpcError) as refused:
            call(request)
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_pseudonym_is_stable_for_a_person_and_differs_across_persons(
        stub: TalentRegistryStub) -> None:
    first = stub.Register(commissioner(FIRM_A), metadata=STEWARD)
    stub.End(pb.EndTalentRequest(record_id=first.id, ended_on="2023-12-31"), metadata=STEWARD)
    again = stub.Register(commissioner(FIRM_B, recognised_on="2024-01-15"), metadata=STEWARD)
    other = stub.Register(commissioner(FIRM_A, who=person("陈静", CHEN)), metadata=STEWARD)
    assert again.id != first.id and again.enterprise_credit_code == FIRM_B
    assert again.subject_pseudonym == first.subject_pseudonym
    assert other.subject_pseudonym != first.subject_pseudonym
    assert first.subject_pseudonym.startswith("psn-") and first.id.startswith("tal-")


def test_invalid_identity_number_is_refused_naming_the_field(stub: TalentRegistryStub) -> None:
    wrong = ZHANG[:-1] + ("1" if ZHANG[-1] != "1" else "2")
    code, trailer = refusal(stub.Register, commissioner(who=person(number=wrong)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert trailer["yinling-field"] == "person.identity_number"
    assert stub.List(pb.ListTalentRequest(), metadata=STEWARD).total == 0


def test_second_current_registration_in_a_category_is_refused(stub: TalentRegistryStub) -> None:
    stub.Register(commissioner(FIRM_A), metadata=STEWARD)
    code, trailer = refusal(stub.Register, commissioner(FIRM_B))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert trailer["yinling-field"] == "person.identity_number"
    leading = commissioner(category="leading_talent", enterprise_credit_code="")
    assert stub.Register(leading, metadata=STEWARD).category == "leading_talent"
    assert stub.List(pb.ListTalentRequest(), metadata=STEWARD).total == 2


def test_retried_register_is_applied_once(stub: TalentRegistryStub) -> None:
    request_id = str(uuid.uuid4())
    first = stub.Register(commissioner(request_id=request_id), metadata=STEWARD)
    second = stub.Register(commissioner(request_id=request_id), metadata=STEWARD)
    assert second == first
    assert stub.List(pb.ListTalentRequest(), metadata=STEWARD).total == 1


def test_history_names_corrected_personal_fields_never_their_values(
        stub: TalentRegistryStub) -> None:
    record = stub.Register(commissioner(), metadata=STEWARD)
    stub.Correct(pb.CorrectTalentRequest(record_id=record.id, field="person.email",
                                         value="wei.zhang@example.org", reason="new address"),
                 metadata=STEWARD)
    stub.Correct(pb.CorrectTalentRequest(record_id=record.id, field="district", value="440705",
                                         reason="placement moved"), metadata=STEWARD)
    entries = stub.History(pb.TalentHistoryRequest(record_id=record.id), metadata=OFFICER).entries
    assert [(e.version, e.change, list(e.corrected_fields)) for e in entries] == [
        (1, "registered", []), (2, "corrected", ["person.email"]), (3, "corrected", ["district"])]
    assert all(e.event_id and e.actor == "steward@dev" for e in entries)
    blob = b"".join(e.SerializeToString() for e in entries)
    assert b"example.org" not in blob and b"example.cn" not in blob
    detail = stub.Get(pb.GetTalentRequest(record_id=record.id), metadata=OFFICER)
    assert detail.person.email == "wei.zhang@example.org" and detail.record.district == "440705"


def test_correction_without_reason_changes_nothing(stub: TalentRegistryStub) -> None:
    record = stub.Register(commissioner(), metadata=STEWARD)
    code, trailer = refusal(stub.Correct, pb.CorrectTalentRequest(
        record_id=record.id, field="person.name", value="张卫"))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and trailer["yinling-field"] == "reason"
    detail = stub.Get(pb.GetTalentRequest(record_id=record.id), metadata=OFFICER)
    assert detail.person.name == "张伟" and detail.record.version == 1


def test_list_filters_by_category_and_district_and_pages(stub: TalentRegistryStub) -> None:
    for i in range(5):
        number = identity(f"440703198001{10 + i}123")
        stub.Register(commissioner(who=person(f"人员{i}", number),
                                   district="440703" if i < 3 else "440781"), metadata=STEWARD)
    stub.Register(commissioner(category="young_talent", enterprise_credit_code=""),
                  metadata=STEWARD)
    first = stub.List(pb.ListTalentRequest(category="phd_commissioner", district="440703",
                                           page=PageRequest(page_size=2)), metadata=STEWARD)
    assert first.total == 3 and len(first.records) == 2 and first.next_page_token
    rest = stub.List(pb.ListTalentRequest(category="phd_commissioner", district="440703",
                                          page=PageRequest(page_size=2,
                                                           page_token=first.next_page_token)),
                      metadata=STEWARD)
    assert len(rest.records) == 1 and not rest.next_page_token
    ids = {r.id for r in (*first.records, *rest.records)}
    assert len(ids) == 3
    assert stub.List(pb.ListTalentRequest(district="440781"), metadata=STEWARD).total == 2


def test_commands_need_a_steward_token(stub: TalentRegistryStub) -> None:
    code, _ = refusal(stub.Register, commissioner(), metadata=())
    assert code is grpc.StatusCode.UNAUTHENTICATED
    assert stub.List(pb.ListTalentRequest(), metadata=STEWARD).total == 0


def test_logs_never_print_personal_fields(stub: TalentRegistryStub,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="yinling")
    caplog.set_level(logging.DEBUG, logger="services")
    record = stub.Register(commissioner(), metadata=STEWARD)
    refusal(stub.Register, commissioner(FIRM_B))  # the duplicate path
    refusal(stub.Register, commissioner(who=person(number=ZHANG[:-1] + "Y")))
    stub.Correct(pb.CorrectTalentRequest(record_id=record.id, field="person.phone",
                                         value="13700137000", reason="typo"), metadata=STEWARD)
    stub.Get(pb.GetTalentRequest(record_id=record.id), metadata=OFFICER)
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    for value in ("张伟", ZHANG, ZHANG[:-1], "13800138000", "13700137000", "zhang.wei"):
        assert value not in logged


def test_database_alone_refuses_a_second_current_record_without_leaking_values(
        runtime: ServiceRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two registrations racing past the friendly check meet the unique constraint."""
    monkeypatch.setattr(TalentHandlers, "_refuse_duplicate", staticmethod(lambda s, r: None))
    handlers = TalentHandlers(runtime.sessions, lambda: None)
    handlers.register(commissioner(FIRM_A), "steward@dev")
    with pytest.raises(ValidationError) as err:
        handlers.register(commissioner(FIRM_B), "steward@dev")
    assert err.value.field == "person.identity_number"
    assert ZHANG not in str(err.value) and err.value.__suppress_context__
    with runtime.sessions() as s:
        assert s.query(TalentRow).count() == 1 and s.query(TalentPersonRow).count() == 1

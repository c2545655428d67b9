"""The finance service end to end: real gRPC server, real database (SQLite and PostgreSQL),
real broker; events read back from Kafka."""
from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select

from services.finance.main import MODELS, bindings
from yinling.auth import bearer
from yinling.broker import EmbeddedBroker, free_port
from yinling.config import Settings
from yinling.credit_code import make_credit_code
from yinling.envelope import Envelope
from yinling.outbox import OutboxRecord
from yinling.service import ServiceRuntime, start_service
from yinling.topics import AUDIT, FINANCE_EVENTS
from yinling.v1 import finance_pb2 as pb
from yinling.v1.common_pb2 import PageRequest
from yinling.v1.finance_pb2_grpc import FinanceRegistryStub

STEWARD = bearer("dev-steward")
CODE = make_credit_code("440703", 20240001)
OTHER = make_credit_code("440705", 20240002)


Service = tuple[FinanceRegistryStub, ServiceRuntime]


@pytest.fixture
def service(broker: EmbeddedBroker, database_url: str) -> Iterator[Service]:
    runtime = start_service("finance", Settings(bootstrap_servers=broker.bootstrap), MODELS,
                            bindings, grpc_port=free_port(), database_url=database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield FinanceRegistryStub(channel), runtime
    channel.close()
    runtime.stop()


def a_loan(**changes: object) -> pb.RecordFinanceRequest:
    fields: dict[str, object] = dict(kind="loan", loan_type="credit", district="440703",
                                     enterprise_credit_code=CODE, amount_fen=300_000_000,
                                     granted_on="2023-05-10")
    fields.update(changes)
    return pb.RecordFinanceRequest(**fields)  # type: ignore[arg-type]


Event = tuple[Envelope, pb.FinanceChanged]


def events_of(bootstrap: str, key: str, count: int, timeout_s: float = 20.0) -> list[Event]:
    """Read the topic from the start until `count` events keyed `key` arrived (bounded wait)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=500)
    try:
        partitions = [TopicPartition(FINANCE_EVENTS.name, p)
                      for p in sorted(consumer.partitions_for_topic(FINANCE_EVENTS.name) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        found: list[Event] = []
        deadline = time.monotonic() + timeout_s
        while len(found) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for msg in batch:
                    if msg.key == key.encode():
                        env = Envelope.from_record(msg.key, msg.value, list(msg.headers))
                        found.append((env, pb.FinanceChanged.FromString(env.data)))
        return found
    finally:
        consumer.close()


def refusal(call, request, **kwargs) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call(request, **kwargs)
    return caught.value


def field_of(error: grpc.RpcError) -> str:
    trailer = error.trailing_metadata() or ()  # type: ignore[attr-defined]
    return dict(trailer).get("yinling-field", "")


def test_a_recorded_loan_emits_recorded_with_the_exact_snapshot(
        service: Service, broker: EmbeddedBroker) -> None:
    stub, _ = service
    # The largest amount accepted (yinling.bounds.MAX_FEN, a trillion yuan), to the fen.
    created = stub.Record(a_loan(amount_fen=99_999_999_999_999), metadata=STEWARD)
    assert stub.Get(pb.GetFinanceRequest(record_id=created.id), metadata=STEWARD).amount_fen == \
        99_999_999_999_999
    [(env, changed)] = events_of(broker.bootstrap, created.id, 1)
    assert env.type == "cn.gov.jiangmen.sti.finance.recorded.v1"
    assert (env.subject, env.sequence, env.source) == (created.id, 1, "/yinling/finance")
    assert changed.record == created
    assert (changed.change, changed.actor) == ("recorded", "steward@dev")


def test_a_withdrawal_emits_withdrawn_and_enters_the_history(
        service: Service, broker: EmbeddedBroker) -> None:
    stub, _ = service
    created = stub.Record(a_loan(), metadata=STEWARD)
    withdrawn = stub.Withdraw(pb.WithdrawFinanceRequest(
        record_id=created.id, withdrawn_on="2023-06-01", reason="bank cancelled"), metadata=STEWARD)
    assert (withdrawn.withdrawn_on, withdrawn.version) == ("2023-06-01", 2)
    events = events_of(broker.bootstrap, created.id, 2)
    assert [e.type for e, _ in events] == ["cn.gov.jiangmen.sti.finance.recorded.v1",
                                           "cn.gov.jiangmen.sti.finance.withdrawn.v1"]
    assert events[1][1].record == withdrawn and events[1][1].reason == "bank cancelled"
    history = stub.History(pb.FinanceHistoryRequest(record_id=created.id), metadata=STEWARD).entries
    assert [(h.version, h.change) for h in history] == [(1, "recorded"), (2, "withdrawn")]
    assert history[1].event_id == events[1][0].id


def test_a_correction_without_reason_is_refused_and_changes_nothing(
        service: Service, broker: EmbeddedBroker) -> None:
    stub, _ = service
    created = stub.Record(a_loan(), metadata=STEWARD)
    error = refusal(stub.Correct, pb.CorrectFinanceRequest(
        record_id=created.id, field="amount", value="1", reason=""), metadata=STEWARD)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(error) == "reason"
    assert stub.Get(pb.GetFinanceRequest(record_id=created.id), metadata=STEWARD) == created
    corrected = stub.Correct(pb.CorrectFinanceRequest(
        record_id=created.id, field="amount", value="300000001", reason="bank letter"),
        metadata=STEWARD)
    assert (corrected.amount_fen, corrected.version) == (300_000_001, 2)
    events = events_of(broker.bootstrap, created.id, 2)
    assert [(c.change, c.record.version) for _, c in events] == [("recorded", 1), ("corrected", 2)]
    assert list(events[1][1].corrected_fields) == ["amount_fen"]


def test_an_invalid_record_is_refused_naming_the_field_and_writes_nothing(service: Service) -> None:
    stub, runtime = service
    error = refusal(stub.Record,
                    a_loan(kind="listing", exchange="nyse", amount_fen=0, loan_type=""),
                    metadata=STEWARD)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(error) == "exchange"
    assert stub.List(pb.ListFinanceRequest(), metadata=STEWARD).total == 0
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxRecord)
                        .where(OutboxRecord.topic != AUDIT.name)) == 0


def test_anonymous_callers_see_records_without_amounts(service: Service) -> None:
    stub, _ = service
    created = stub.Record(a_loan(amount_fen=12_345), metadata=STEWARD)
    response, call = stub.List.with_call(pb.ListFinanceRequest())
    assert [(r.id, r.amount_fen) for r in response.records] == [(created.id, 0)]
    assert dict(call.trailing_metadata())["yinling-redacted"] == "amount_fen"
    record, call = stub.Get.with_call(pb.GetFinanceRequest(record_id=created.id))
    assert record.amount_fen == 0 and record.loan_type == "credit"
    assert stub.List(pb.ListFinanceRequest(), metadata=STEWARD).records[0].amount_fen == 12_345
    stub.Correct(pb.CorrectFinanceRequest(record_id=created.id, field="amount", value="12346",
                                          reason="was 12345"), metadata=STEWARD)
    history, call = stub.History.with_call(pb.FinanceHistoryRequest(record_id=created.id))
    assert [h.reason for h in history.entries] == ["", ""]
    assert dict(call.trailing_metadata())["yinling-redacted"] == "reason"


def test_commands_need_a_steward(service: Service) -> None:
    stub, _ = service
    assert refusal(stub.Record, a_loan()).code() == grpc.StatusCode.UNAUTHENTICATED
    assert stub.List(pb.ListFinanceRequest()).total == 0


def test_list_filters_by_kind_enterprise_and_district_and_pages(service: Service) -> None:
    stub, _ = service
    for day in ("2023-01-02", "2023-01-03", "2023-01-04"):
        stub.Record(a_loan(granted_on=day), metadata=STEWARD)
    stub.Record(a_loan(kind="insurance", loan_type="", enterprise_credit_code=OTHER,
                       district="440705"), metadata=STEWARD)
    stub.Record(pb.RecordFinanceRequest(kind="listing", enterprise_credit_code=OTHER,
                                        district="440705", exchange="bse",
                                        granted_on="2023-12-01"), metadata=STEWARD)
    first = stub.List(pb.ListFinanceRequest(kind="loan", page=PageRequest(page_size=2)),
                      metadata=STEWARD)
    assert (len(first.records), first.total) == (2, 3) and first.next_page_token
    rest = stub.List(pb.ListFinanceRequest(kind="loan", page=PageRequest(
        page_size=2, page_token=first.next_page_token)), metadata=STEWARD)
    assert [r.granted_on for r in (*first.records, *rest.records)] == \
        ["2023-01-02", "2023-01-03", "2023-01-04"] and not rest.next_page_token
    assert stub.List(pb.ListFinanceRequest(enterprise_credit_code=OTHER)).total == 2
    assert stub.List(pb.ListFinanceRequest(district="440705", kind="listing")).total == 1
    assert field_of(refusal(stub.List, pb.ListFinanceRequest(kind="grant"))) == "kind"


def test_a_retried_request_is_applied_once(service: Service) -> None:
    stub, runtime = service
    first = stub.Record(a_loan(request_id="req-1"), metadata=STEWARD)
    again = stub.Record(a_loan(request_id="req-1"), metadata=STEWARD)
    assert again == first
    assert stub.List(pb.ListFinanceRequest(), metadata=STEWARD).total == 1
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxRecord)
                        .where(OutboxRecord.topic != AUDIT.name)) == 1


def test_unknown_records_are_not_found(service: Service) -> None:
    stub, _ = service
    error = refusal(stub.Get, pb.GetFinanceRequest(record_id="nope"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = refusal(stub.Withdraw, pb.WithdrawFinanceRequest(
        record_id="nope", withdrawn_on="2023-01-01", reason="x"), metadata=STEWARD)
    assert error.code() == grpc.StatusCode.NOT_FOUND


def test_one_listing_per_enterprise_per_exchange_until_withdrawn(service: Service) -> None:
    stub, _ = service
    listing = pb.RecordFinanceRequest(kind="listing", enterprise_credit_code=CODE,
                                      district="440703", exchange="szse", granted_on="2023-09-01")
    first = stub.Record(listing, metadata=STEWARD)
    assert field_of(refusal(stub.Record, listing, metadata=STEWARD)) == "exchange"
    stub.Withdraw(pb.WithdrawFinanceRequest(record_id=first.id, withdrawn_on="2023-09-02",
                                            reason="recorded by mistake"), metadata=STEWARD)
    assert stub.Record(listing, metadata=STEWARD).id != first.id

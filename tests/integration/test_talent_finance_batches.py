"""ApplyCommands of the talent and finance registries: many commands in one call and one
transaction, each answered as its single call would be; a refused one changes nothing and the
rest stay; the same batch again (same request_ids) changes nothing; the write scope is needed."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest

from services.finance.main import bindings as finance_bindings
from services.finance.store import MODELS as FINANCE_MODELS
from services.talent.identity import check_character
from services.talent.main import bindings as talent_bindings
from services.talent.store import MODELS as TALENT_MODELS
from yinling.auth import bearer
from yinling.broker import EmbeddedBroker, free_port
from yinling.config import Settings
from yinling.credit_code import make_credit_code
from yinling.service import start_service
from yinling.v1 import finance_pb2, talent_pb2
from yinling.v1.finance_pb2_grpc import FinanceRegistryStub
from yinling.v1.talent_pb2_grpc import TalentRegistryStub

STEWARD = bearer("dev-steward")
FIRM = make_credit_code("440703", 31415926)
ZHANG = "44070319850101123" + check_character("44070319850101123")
CHEN = "44078119920817456" + check_character("44078119920817456")


@pytest.fixture
def talent(broker: EmbeddedBroker, database_url: str) -> Iterator[TalentRegistryStub]:
    runtime = start_service("talent", Settings(bootstrap_servers=broker.bootstrap), TALENT_MODELS,
                            talent_bindings, grpc_port=free_port(), database_url=database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield TalentRegistryStub(channel)
    channel.close()
    runtime.stop()


@pytest.fixture
def finance(broker: EmbeddedBroker, database_url: str) -> Iterator[FinanceRegistryStub]:
    runtime = start_service("finance", Settings(bootstrap_servers=broker.bootstrap), FINANCE_MODELS,
                            finance_bindings, grpc_port=free_port(), database_url=database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    yield FinanceRegistryStub(channel)
    channel.close()
    runtime.stop()


def recognise(number: str) -> talent_pb2.TalentCommand:
    return talent_pb2.TalentCommand(register=talent_pb2.RegisterTalentRequest(
        category="phd_commissioner", district="440703", enterprise_credit_code=FIRM,
        recognised_on="2023-03-01", request_id=str(uuid.uuid4()),
        person=talent_pb2.TalentPerson(name="张伟", identity_number=number)))


def test_talent_batch_refuses_a_duplicate_alone_and_a_resent_batch_changes_nothing(talent):
    batch = talent_pb2.ApplyTalentCommandsRequest(commands=[
        recognise(ZHANG), recognise(ZHANG), recognise(CHEN),   # the second: the same person again
        talent_pb2.TalentCommand(end=talent_pb2.EndTalentRequest(
            record_id="tal-unknown", ended_on="2024-01-01", reason="left",
            request_id=str(uuid.uuid4())))])
    reply = talent.ApplyCommands(batch, metadata=STEWARD)
    cases = [o.WhichOneof("outcome") for o in reply.outcomes]
    assert cases == ["record", "error", "record", "error"]
    duplicate, unknown = reply.outcomes[1].error, reply.outcomes[3].error
    assert (duplicate.code, duplicate.field) == ("INVALID_ARGUMENT", "person.identity_number")
    assert ZHANG not in duplicate.message  # a refusal never quotes a person's data
    assert unknown.code == "NOT_FOUND"
    listed = talent.List(talent_pb2.ListTalentRequest(), metadata=STEWARD)
    assert sorted(r.id for r in listed.records) == sorted(
        [reply.outcomes[0].record.id, reply.outcomes[2].record.id])

    again = talent.ApplyCommands(batch, metadata=STEWARD)
    assert [o.record.id for o in again.outcomes] == [o.record.id for o in reply.outcomes]
    assert talent.List(talent_pb2.ListTalentRequest(), metadata=STEWARD).total == 2


def test_talent_batch_needs_the_write_scope(talent):
    with pytest.raises(grpc.RpcError) as refused:
        talent.ApplyCommands(talent_pb2.ApplyTalentCommandsRequest(commands=[recognise(CHEN)]))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert talent.List(talent_pb2.ListTalentRequest(), metadata=STEWARD).total == 0


def listing(exchange: str) -> finance_pb2.FinanceCommand:
    return finance_pb2.FinanceCommand(record=finance_pb2.RecordFinanceRequest(
        kind="listing", enterprise_credit_code=FIRM, district="440703",
        granted_on="2023-05-10", exchange=exchange, request_id=str(uuid.uuid4())))


def test_finance_batch_applies_in_order_refuses_a_second_listing_and_answers_retries_once(finance):
    loan = finance_pb2.FinanceCommand(record=finance_pb2.RecordFinanceRequest(
        kind="loan", loan_type="credit", enterprise_credit_code=FIRM, district="440703",
        amount_fen=300_000_000, granted_on="2023-05-10", request_id=str(uuid.uuid4())))
    batch = finance_pb2.ApplyFinanceCommandsRequest(commands=[loan, listing("szse"), listing("szse")])
    reply = finance.ApplyCommands(batch, metadata=STEWARD)
    assert [o.WhichOneof("outcome") for o in reply.outcomes] == ["record", "record", "error"]
    assert (reply.outcomes[2].error.code, reply.outcomes[2].error.field) == ("INVALID_ARGUMENT", "exchange")
    assert reply.outcomes[0].record.amount_fen == 300_000_000

    withdraw = finance_pb2.ApplyFinanceCommandsRequest(commands=[finance_pb2.FinanceCommand(
        withdraw=finance_pb2.WithdrawFinanceRequest(
            record_id=reply.outcomes[0].record.id, withdrawn_on="2023-06-01",
            reason="bank cancelled", request_id=str(uuid.uuid4())))])
    (withdrawn,) = finance.ApplyCommands(withdraw, metadata=STEWARD).outcomes
    assert (withdrawn.record.withdrawn_on, withdrawn.record.version) == ("2023-06-01", 2)

    again = finance.ApplyCommands(batch, metadata=STEWARD)
    assert [o.record.id for o in again.outcomes[:2]] == [o.record.id for o in reply.outcomes[:2]]
    assert finance.List(finance_pb2.ListFinanceRequest(), metadata=STEWARD).total == 2

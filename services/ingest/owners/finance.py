"""Finance records (邑科贷 loans, interest subsidies, S&T insurance, listings), owned by the
finance service: one RecordFinanceRequest per row, checked with the service's own domain
function (services/finance/domain.record) and sent one by one (the service has no bulk API;
finance returns are small). Per-enterprise amounts are confidential: the ingest events carry
counts only."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import partial

from google.protobuf.message import Message

from services.finance import domain
from services.ingest.owners import Fields, Owner, Refusal, Sender, unary_refusal
from yinling.v1 import finance_pb2 as pb
from yinling.v1 import finance_pb2_grpc as pb_grpc


def finance_records(row: Fields, reason: str) -> list[Message]:
    amount = row.get("amount", 0)
    return [pb.RecordFinanceRequest(
        kind=str(row["kind"]), loan_type=str(row.get("loan_type", "")),
        enterprise_credit_code=str(row["credit_code"]), district=str(row["district"]),
        amount_fen=amount if isinstance(amount, int) else 0, granted_on=str(row["granted_on"]),
        exchange=str(row.get("exchange", "")))]


def check(requests: list[Message], today: date) -> None:
    for request in requests:
        assert isinstance(request, pb.RecordFinanceRequest)
        domain.record(request, "fin-ingest-check", today, datetime.combine(today, time(12), UTC))


class FinanceSender(Sender):
    def __init__(self, channel: object, metadata: tuple[tuple[str, str], ...]) -> None:
        self.stub = pb_grpc.FinanceRegistryStub(channel)
        self.metadata = metadata

    def send(self, rows: list[list[Message]]) -> list[Refusal | None]:
        return [unary_refusal(partial(self.stub.Record, requests[0], metadata=self.metadata, timeout=30))
                for requests in rows]


OWNER = Owner(builders={"finance_records": finance_records}, check=check, sender=FinanceSender)

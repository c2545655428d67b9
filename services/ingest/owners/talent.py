"""Talent recognitions, owned by the talent service: one RegisterTalentRequest per row,
checked with the service's own domain function (services/talent/domain.register, which
validates the person too) and sent one by one. The rows hold personal data: the kind marks
those columns personal, so errors never quote them, the file is not kept, and a row's
payload is erased once the owner has it (services/ingest/apply.py)."""
from __future__ import annotations

from datetime import date
from functools import partial

from google.protobuf.message import Message

from services.ingest.owners import Fields, Owner, Refusal, Sender, unary_refusal
from services.talent import domain
from services.talent.personal import split_members
from yinling.v1 import talent_pb2 as pb
from yinling.v1 import talent_pb2_grpc as pb_grpc


def talent_recognitions(row: Fields, reason: str) -> list[Message]:
    person = pb.TalentPerson(name=str(row["name"]), identity_number=str(row.get("identity_number", "")),
                             phone=str(row.get("phone", "")), email=str(row.get("email", "")),
                             member_names=split_members(str(row.get("members", ""))))
    return [pb.RegisterTalentRequest(category=str(row["category"]), district=str(row["district"]),
                                     enterprise_credit_code=str(row.get("credit_code", "")),
                                     recognised_on=str(row["recognised_on"]), person=person)]


def check(requests: list[Message], today: date) -> None:
    for request in requests:
        assert isinstance(request, pb.RegisterTalentRequest)
        # The pseudonym is the owner's secret; any stand-in checks the record the same way.
        domain.register(request, "tal-ingest-check", "", lambda subject: "checked")


class TalentSender(Sender):
    def __init__(self, channel: object, metadata: tuple[tuple[str, str], ...]) -> None:
        self.stub = pb_grpc.TalentRegistryStub(channel)
        self.metadata = metadata

    def send(self, rows: list[list[Message]]) -> list[Refusal | None]:
        return [unary_refusal(partial(self.stub.Register, requests[0], metadata=self.metadata, timeout=30))
                for requests in rows]


OWNER = Owner(builders={"talent_recognitions": talent_recognitions}, check=check, sender=TalentSender)

"""The platform list, owned by the platform registry: each row registers a platform and, when
a level and date are given, accredits it. Checked with the registry's own domain functions
(services/platforms/domain.py); applied through PlatformRegistry.ApplyCommands in two calls,
registrations first, because an accreditation names the id its registration was given (on a
resend, the registration's request_id answers with the same id)."""
from __future__ import annotations

from datetime import date

from google.protobuf.message import Message

from services.ingest.owners import Fields, Owner, Refusal, Sender, first_refusals
from services.platforms import domain
from services.platforms.kinds import KINDS, LEVEL_NAMES
from yinling.v1 import platforms_pb2 as pb
from yinling.v1 import platforms_pb2_grpc as pb_grpc

# A bureau writes a kind by its Chinese or English name, or its code (the registry's own list).
KIND_CODES = {name: kind.code for kind in KINDS.values() for name in (kind.code, kind.name_zh, kind.name_en)}
LEVELS = {name: level for level, name in LEVEL_NAMES.items()}
CHECKED_AT = "1970-01-01T00:00:00Z"  # a snapshot's time stamp: no rule reads it


def platform_list(row: Fields, reason: str) -> list[Message]:
    text = str(row["kind"])
    register = pb.RegisterPlatformRequest(
        name=str(row["name"]), kind=KIND_CODES.get(text, text), host_organisation=str(row["host_organisation"]),
        host_credit_code=str(row.get("host_credit_code", "")), district=str(row["district"]),
        industry_cluster=str(row.get("industry_cluster", "")), registered_on=str(row["registered_on"]))
    requests: list[Message] = [register]
    if row.get("level") or row.get("accredited_on"):
        requests.append(pb.AccreditPlatformRequest(
            level=LEVELS.get(str(row.get("level", "")), 0),  # type: ignore[arg-type]
            accredited_on=str(row.get("accredited_on", ""))))
    return requests


def check(requests: list[Message], today: date) -> None:
    platform: pb.Platform | None = None
    for request in requests:
        if isinstance(request, pb.RegisterPlatformRequest):
            platform, _ = domain.register(request, "plt-ingest-check", CHECKED_AT)
        elif isinstance(request, pb.AccreditPlatformRequest) and platform is not None:
            domain.accredit(platform, request.level, request.accredited_on, CHECKED_AT)


class PlatformSender(Sender):
    def __init__(self, channel: object, metadata: tuple[tuple[str, str], ...]) -> None:
        self.stub = pb_grpc.PlatformRegistryStub(channel)
        self.metadata = metadata

    def _apply(self, commands: list[pb.PlatformCommand]) -> list[pb.PlatformCommandOutcome]:
        if not commands:
            return []
        return list(self.stub.ApplyCommands(pb.ApplyPlatformCommandsRequest(commands=commands),
                                            metadata=self.metadata, timeout=60).outcomes)

    def send(self, rows: list[list[Message]]) -> list[Refusal | None]:
        registered = self._apply([pb.PlatformCommand(register=requests[0]) for requests in rows])  # type: ignore[arg-type]
        refusals = first_refusals(list(range(len(rows))), registered, len(rows))
        accredits, row_of = [], []
        for index, requests in enumerate(rows):
            if refusals[index] is None and len(requests) > 1:
                accredit = pb.AccreditPlatformRequest()
                accredit.CopyFrom(requests[1])
                accredit.platform_id = registered[index].platform.id
                accredits.append(pb.PlatformCommand(accredit=accredit))
                row_of.append(index)
        for index, refusal in zip(row_of, first_refusals(list(range(len(row_of))), self._apply(accredits),
                                                         len(row_of)), strict=True):
            refusals[index] = refusal
        return refusals


OWNER = Owner(builders={"platform_list": platform_list}, check=check, sender=PlatformSender)

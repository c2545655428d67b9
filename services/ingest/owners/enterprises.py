"""Kinds the enterprises service owns: enterprise lists with qualifications, annual enterprise
statistics, regional statistics. Rows are checked with the owner's own domain functions
(services/enterprises), so a row the owner would refuse is refused at validation naming the
same field, and applied through EnterpriseRegistry.ApplyCommands. Building and checking are
pure: no I/O; today is given."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import grpc
from google.protobuf.message import Message

from services.enterprises import domain, qualifications, regional
from services.ingest.owners import Fields, Owner, Refusal, Sender, first_refusals
from yinling.credit_code import validate_credit_code
from yinling.v1 import enterprises_pb2 as pb
from yinling.v1 import enterprises_pb2_grpc as pb_grpc

FIRST_STATISTICS_YEAR = 1949
# request type -> its case of EnterpriseCommand
COMMAND_OF = {pb.RegisterEnterpriseRequest: "register", pb.GrantQualificationRequest: "grant_qualification",
              pb.ReportAnnualStatisticsRequest: "report_annual_statistics",
              pb.ReportRegionalStatisticRequest: "report_regional_statistic"}


def enterprise_list(row: Fields, reason: str) -> list[Message]:
    register = pb.RegisterEnterpriseRequest(
        credit_code=str(row["credit_code"]), name=str(row["name"]), district=str(row["district"]),
        industry_cluster=str(row["industry_cluster"]), registered_on=str(row["registered_on"]))
    requests: list[Message] = [register]
    if row.get("qualification"):
        requests.append(pb.GrantQualificationRequest(
            credit_code=register.credit_code, kind=str(row["qualification"]),
            number=str(row.get("certificate_number", "")), granted_on=str(row.get("granted_on", ""))))
    return requests


def enterprise_statistics(row: Fields, reason: str) -> list[Message]:
    stats = pb.AnnualStatistics(year=_int(row["year"]), revenue_fen=_int(row["revenue"]),
                                rd_expenditure_fen=_int(row["rd_expenditure"]),
                                employees=_int(row["employees"]), rd_staff=_int(row["rd_staff"]))
    return [pb.ReportAnnualStatisticsRequest(credit_code=str(row["credit_code"]), statistics=stats,
                                             reason=str(row.get("reason") or reason))]


def regional_statistics(row: Fields, reason: str) -> list[Message]:
    statistic = pb.RegionalStatistic(
        territory=str(row["territory"]), year=_int(row["year"]), measure=str(row["measure"]),
        value=str(row["value"]), unit="CNY_10K", source=str(row.get("source", "")),
        reported_on=str(row.get("reported_on", "")))
    return [pb.ReportRegionalStatisticRequest(statistic=statistic, reason=reason)]


def check(requests: list[Message], today: date) -> None:
    """Run a row's requests through the owner's domain rules, in order, on the snapshot the
    earlier ones make; the first refusal raises (ValidationError or Conflict, naming the field)."""
    at = datetime.combine(today, time(12), UTC)
    current: pb.Enterprise | None = None
    for request in requests:
        if isinstance(request, pb.RegisterEnterpriseRequest):
            current = domain.register(request, today, at).enterprise
        elif isinstance(request, pb.GrantQualificationRequest) and current is not None:
            current = qualifications.grant(current, request, today, at).enterprise
        elif isinstance(request, pb.ReportAnnualStatisticsRequest):
            validate_credit_code(request.credit_code)
            # The registration year is the owner's to know; the other bounds are checked here.
            domain.check_statistics(request.statistics, FIRST_STATISTICS_YEAR, today.year)
        elif isinstance(request, pb.ReportRegionalStatisticRequest):
            regional.checked(request.statistic, today)


class EnterpriseSender(Sender):
    """Registrations go first, in one call; a row whose enterprise is already registered, with
    the name and district the row gives, counts as registered (a list names enterprises the
    registry may know already), one registered otherwise is refused. The rest of each row's
    requests (its qualification) go in a second call, only for rows not refused."""

    def __init__(self, channel: object, metadata: tuple[tuple[str, str], ...]) -> None:
        self.stub = pb_grpc.EnterpriseRegistryStub(channel)
        self.metadata = metadata

    def _apply(self, requests: list[Message]) -> list[pb.EnterpriseCommandOutcome]:
        if not requests:
            return []
        commands = [pb.EnterpriseCommand(**{COMMAND_OF[type(r)]: r}) for r in requests]
        return list(self.stub.ApplyCommands(pb.ApplyEnterpriseCommandsRequest(commands=commands),
                                            metadata=self.metadata, timeout=60).outcomes)

    def send(self, rows: list[list[Message]]) -> list[Refusal | None]:
        first = [(i, r[0]) for i, r in enumerate(rows) if isinstance(r[0], pb.RegisterEnterpriseRequest)]
        refusals: list[Refusal | None] = [None] * len(rows)
        for (index, register), refusal in zip(first, first_refusals(
                list(range(len(first))), self._apply([r for _, r in first]), len(first)), strict=True):
            assert isinstance(register, pb.RegisterEnterpriseRequest)
            refusals[index] = refusal and self._unless_listed_as_registered(register, refusal)
        registering = {index for index, _ in first}
        rest, row_of = [], []
        for index, requests in enumerate(rows):
            if refusals[index] is None:
                for request in requests[1:] if index in registering else requests:
                    rest.append(request)
                    row_of.append(index)
        for index, refusal in zip(row_of, first_refusals(list(range(len(row_of))), self._apply(rest),
                                                         len(row_of)), strict=True):
            refusals[index] = refusals[index] or refusal
        return refusals

    def _unless_listed_as_registered(self, register: pb.RegisterEnterpriseRequest,
                                     refusal: Refusal) -> Refusal | None:
        try:
            known = self.stub.Get(pb.GetEnterpriseRequest(credit_code=register.credit_code),
                                  metadata=self.metadata, timeout=10)
        except grpc.RpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return refusal  # refused for another reason
            raise
        if (known.name, known.district) == (register.name.strip(), register.district):
            return None
        return Refusal("credit_code", "FAILED_PRECONDITION",
                       f"{register.credit_code} is registered as {known.name!r} in {known.district}; "
                       f"the row says {register.name.strip()!r} in {register.district}")


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


OWNER = Owner(builders={"enterprise_list": enterprise_list, "enterprise_statistics": enterprise_statistics,
                        "regional_statistics": regional_statistics},
              check=check, sender=EnterpriseSender)

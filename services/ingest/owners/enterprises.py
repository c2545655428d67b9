"""Kinds the enterprises service owns: enterprise lists with qualifications, annual enterprise
statistics, regional statistics. Rows are checked with the owner's own domain functions
(services/enterprises), so a row the owner would refuse is refused at validation naming the
same field, and applied through EnterpriseRegistry.ApplyCommands. Building and checking are
pure: no I/O; today is given."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

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
    def __init__(self, channel: object, metadata: tuple[tuple[str, str], ...]) -> None:
        self.stub = pb_grpc.EnterpriseRegistryStub(channel)
        self.metadata = metadata

    def send(self, rows: list[list[Message]]) -> list[Refusal | None]:
        commands, row_of = [], []
        for index, requests in enumerate(rows):
            for request in requests:
                commands.append(pb.EnterpriseCommand(**{COMMAND_OF[type(request)]: request}))
                row_of.append(index)
        answer = self.stub.ApplyCommands(pb.ApplyEnterpriseCommandsRequest(commands=commands),
                                         metadata=self.metadata, timeout=60)
        return first_refusals(row_of, list(answer.outcomes), len(rows))


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


OWNER = Owner(builders={"enterprise_list": enterprise_list, "enterprise_statistics": enterprise_statistics,
                        "regional_statistics": regional_statistics},
              check=check, sender=EnterpriseSender)

"""Rows of the enterprises service's kinds: the owner's requests built from a row, and checked
with the owner's own domain functions (services/enterprises), so a row the owner would refuse
is refused at validation, naming the same field. Pure: no I/O; today is given."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time

from services.enterprises import domain, qualifications, regional
from yinling.v1 import enterprises_pb2 as pb

Fields = Mapping[str, object]
Commands = list[pb.EnterpriseCommand]


def enterprise_list(row: Fields, reason: str) -> Commands:
    register = pb.RegisterEnterpriseRequest(
        credit_code=str(row["credit_code"]), name=str(row["name"]), district=str(row["district"]),
        industry_cluster=str(row["industry_cluster"]), registered_on=str(row["registered_on"]))
    commands = [pb.EnterpriseCommand(register=register)]
    if row.get("qualification"):
        commands.append(pb.EnterpriseCommand(grant_qualification=pb.GrantQualificationRequest(
            credit_code=register.credit_code, kind=str(row["qualification"]),
            number=str(row.get("certificate_number", "")), granted_on=str(row.get("granted_on", "")))))
    return commands


def enterprise_statistics(row: Fields, reason: str) -> Commands:
    stats = pb.AnnualStatistics(year=_int(row["year"]), revenue_fen=_int(row["revenue"]),
                                rd_expenditure_fen=_int(row["rd_expenditure"]),
                                employees=_int(row["employees"]), rd_staff=_int(row["rd_staff"]))
    return [pb.EnterpriseCommand(report_annual_statistics=pb.ReportAnnualStatisticsRequest(
        credit_code=str(row["credit_code"]), statistics=stats, reason=str(row.get("reason") or reason)))]


def regional_statistics(row: Fields, reason: str) -> Commands:
    statistic = pb.RegionalStatistic(
        territory=str(row["territory"]), year=_int(row["year"]), measure=str(row["measure"]),
        value=str(row["value"]), unit="CNY_10K", source=str(row.get("source", "")),
        reported_on=str(row.get("reported_on", "")))
    return [pb.EnterpriseCommand(report_regional_statistic=pb.ReportRegionalStatisticRequest(
        statistic=statistic, reason=reason))]


def check(commands: Commands, today: date) -> None:
    """Run each command through the owner's domain rules; the first refusal raises
    (ValidationError or Conflict, naming the owner's field)."""
    at = datetime.combine(today, time(12), UTC)
    current: pb.Enterprise | None = None
    for command in commands:
        which = command.WhichOneof("command")
        if which == "register":
            current = domain.register(command.register, today, at).enterprise
        elif which == "grant_qualification" and current is not None:
            current = qualifications.grant(current, command.grant_qualification, today, at).enterprise
        elif which == "report_annual_statistics":
            request = command.report_annual_statistics
            domain.validate_credit_code(request.credit_code)
            # The registration year is the owner's to know; the other bounds are checked here.
            domain.check_statistics(request.statistics, FIRST_STATISTICS_YEAR, today.year)
        elif which == "report_regional_statistic":
            regional.checked(command.report_regional_statistic.statistic, today)


FIRST_STATISTICS_YEAR = 1949

BUILDERS: dict[str, Callable[[Fields, str], Commands]] = {
    "enterprise_list": enterprise_list,
    "enterprise_statistics": enterprise_statistics,
    "regional_statistics": regional_statistics,
}


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0

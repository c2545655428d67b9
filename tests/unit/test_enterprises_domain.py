"""Enterprise commands as pure functions: registration, moves, corrections, annual statistics."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.enterprises import domain
from yinling.credit_code import make_credit_code
from yinling.errors import ValidationError
from yinling.v1.enterprises_pb2 import (
    AnnualStatistics,
    CorrectEnterpriseRequest,
    MoveEnterpriseRequest,
    RegisterEnterpriseRequest,
    ReportAnnualStatisticsRequest,
)

TODAY = date(2024, 6, 30)
AT = datetime(2024, 6, 30, 8, tzinfo=UTC)
CODE = make_credit_code("440703", 11112222)


def registered(district: str = "440703", on: str = "2020-03-01"):  # type: ignore[no-untyped-def]
    return domain.register(RegisterEnterpriseRequest(
        credit_code=CODE.lower(), name=" 江门星河科技有限公司 ", district=district,
        industry_cluster="new_materials", registered_on=on), TODAY, AT).enterprise


def field_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.field


def test_registration_opens_the_first_district_period() -> None:
    e = registered()
    assert (e.credit_code, e.name, e.district, e.version) == (CODE, "江门星河科技有限公司", "440703", 1)
    assert [(p.district, getattr(p, "from"), p.until) for p in e.district_history] == [
        ("440703", "2020-03-01", "")]


def test_registration_rejects_a_bad_credit_code_naming_the_field() -> None:
    req = RegisterEnterpriseRequest(credit_code="91440300O08461136T", name="x", district="440703",
                                    industry_cluster="c", registered_on="2020-01-01")
    with pytest.raises(ValidationError) as caught:
        domain.register(req, TODAY, AT)
    assert caught.value.field == "credit_code" and "'O' at position 9" in caught.value.reason


@pytest.mark.parametrize("change, field", [
    ({"district": "440100"}, "district"), ({"name": "  "}, "name"),
    ({"industry_cluster": ""}, "industry_cluster"), ({"registered_on": "2024-07-01"}, "registered_on"),
    ({"registered_on": "2020-13-01"}, "registered_on"),
])
def test_registration_rejects_bad_fields(change: dict, field: str) -> None:
    values = dict(credit_code=CODE, name="n", district="440703", industry_cluster="c",
                  registered_on="2020-01-01") | change
    assert field_of(lambda: domain.register(RegisterEnterpriseRequest(**values), TODAY, AT)) == field


def test_move_closes_the_period_and_keeps_the_history() -> None:
    moved = domain.move(registered(), MoveEnterpriseRequest(district="440704", moved_on="2023-05-10",
                                                            reason="new plant"), TODAY, AT)
    e = moved.enterprise
    assert (moved.change, e.district, e.version) == ("moved", "440704", 2)
    assert [(p.district, getattr(p, "from"), p.until) for p in e.district_history] == [
        ("440703", "2020-03-01", "2023-05-10"), ("440704", "2023-05-10", "")]


def test_move_to_the_same_district_or_before_the_last_period_is_rejected() -> None:
    e = registered()
    assert field_of(lambda: domain.move(e, MoveEnterpriseRequest(district="440703", moved_on="2023-01-01"),
                                        TODAY, AT)) == "district"
    assert field_of(lambda: domain.move(e, MoveEnterpriseRequest(district="440705", moved_on="2020-03-01"),
                                        TODAY, AT)) == "moved_on"


def test_correcting_the_registration_district_after_a_move_keeps_the_move() -> None:
    e = domain.move(registered(), MoveEnterpriseRequest(district="440704", moved_on="2023-05-10"),
                    TODAY, AT).enterprise
    fixed = domain.correct(e, CorrectEnterpriseRequest(field="district", value="440705",
                                                       reason="typo at intake"), AT)
    assert fixed.corrected_fields == ["district"] and fixed.reason == "typo at intake"
    assert [p.district for p in fixed.enterprise.district_history] == ["440705", "440704"]
    assert fixed.enterprise.district == "440704"


def test_correcting_the_district_of_an_enterprise_that_never_moved_changes_the_current_one() -> None:
    fixed = domain.correct(registered(), CorrectEnterpriseRequest(field="district", value="440705",
                                                                  reason="typo"), AT).enterprise
    assert fixed.district == "440705" and fixed.district_history[0].district == "440705"


def test_correction_needs_a_reason_and_a_known_field() -> None:
    e = registered()
    assert field_of(lambda: domain.correct(e, CorrectEnterpriseRequest(field="name", value="新名"), AT)) == "reason"
    assert field_of(lambda: domain.correct(e, CorrectEnterpriseRequest(field="version", value="9", reason="r"),
                                           AT)) == "field"


def stats(year: int = 2023, **values: int) -> AnnualStatistics:
    base = dict(year=year, revenue_fen=500_000_00, rd_expenditure_fen=40_000_00, employees=80, rd_staff=12)
    return AnnualStatistics(**(base | values))


def test_annual_statistics_are_kept_per_year_in_order() -> None:
    e = registered()
    e = domain.report_statistics(e, ReportAnnualStatisticsRequest(statistics=stats(2023)), TODAY, AT).enterprise
    e = domain.report_statistics(e, ReportAnnualStatisticsRequest(statistics=stats(2021)), TODAY, AT).enterprise
    assert [s.year for s in e.statistics] == [2021, 2023]


def test_rd_expenditure_may_exceed_revenue() -> None:
    e = domain.report_statistics(registered(), ReportAnnualStatisticsRequest(
        statistics=stats(revenue_fen=0, rd_expenditure_fen=9_000_000_00)), TODAY, AT).enterprise
    assert e.statistics[0].rd_expenditure_fen == 9_000_000_00


@pytest.mark.parametrize("values, field", [
    ({"rd_staff": 81}, "statistics.rd_staff"), ({"revenue_fen": -1}, "statistics.revenue_fen"),
    ({"employees": -3, "rd_staff": 0}, "statistics.employees"), ({"year": 2019}, "statistics.year"),
    ({"year": 2025}, "statistics.year"),
])
def test_annual_statistics_validation(values: dict, field: str) -> None:
    e = registered()
    assert field_of(lambda: domain.report_statistics(
        e, ReportAnnualStatisticsRequest(statistics=stats(**values)), TODAY, AT)) == field


def test_reporting_a_year_again_is_a_revision_that_needs_a_reason() -> None:
    e = domain.report_statistics(registered(), ReportAnnualStatisticsRequest(statistics=stats()),
                                 TODAY, AT).enterprise
    again = ReportAnnualStatisticsRequest(statistics=stats(employees=90))
    assert field_of(lambda: domain.report_statistics(e, again, TODAY, AT)) == "reason"
    again.reason = "audited figures"
    revised = domain.report_statistics(e, again, TODAY, AT)
    assert revised.change == "statistics_revised"
    assert [s.employees for s in revised.enterprise.statistics] == [90]

"""Facts extracted from snapshots: one per period, per qualification, per record."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.indicators.facts import facts_of, periods_of
from services.indicators.samples import (
    enterprise,
    finance,
    platform,
    qualification,
    statistic,
    talent,
)


def test_each_accreditation_period_is_one_fact_with_its_level() -> None:
    facts = facts_of(platform("P", "key_laboratory", "440703",
                              [("national", "2022-02-01", "2023-06-01"), ("provincial", "2024-02-01", "")]))
    assert [(f.attributes["level"], f.valid_from, f.valid_until) for f in facts] == [
        ("national", date(2022, 2, 1), date(2023, 6, 1)), ("provincial", date(2024, 2, 1), None)]
    assert {f.subject for f in facts} == {"P"}


def test_a_revoked_qualification_ends_at_the_earlier_of_expiry_and_revocation() -> None:
    e = enterprise("C", [("440781", "2018-01-01", "")], [
        qualification("high_tech_enterprise", "2023-01-10", "2026-01-10", revoked="2024-05-01"),
        qualification("tech_sme", "2024-06-01", year=2024)])
    hte, sme = facts_of(e)
    assert hte.valid_until == date(2024, 5, 1) and hte.enterprise_credit_code == "C"
    assert sme.valid_until == date(2025, 1, 1) and sme.attributes["year"] == "2024"
    assert [p.district for p in periods_of(e)] == ["440781"]


def test_finance_and_talent_and_statistics_keep_exact_amounts_and_subjects() -> None:
    (loan,) = facts_of(finance("F", "loan", "C", "440703", 123_456_789, "2023-02-01", withdrawn="2023-05-01"))
    assert (loan.subject, loan.amount, loan.cancelled_on) == ("C", Decimal(123_456_789), date(2023, 5, 1))
    (team,) = facts_of(talent("T", "S", "innovation_team", "440704", "2022-05-01", ended="2023-05-01"))
    assert (team.subject, team.valid_until, team.cancelled_on) == ("S", date(2023, 5, 1), None)
    (gdp,) = facts_of(statistic("440700", 2023, "gdp", "4000000.5"))
    assert gdp.amount == Decimal("40000005000") and gdp.aggregate_id == "440700/2023/gdp"

"""Qualifications as pure functions: validity rules, renewal on the boundary, revocation."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.enterprises import domain, qualifications
from services.enterprises.rules import counts_on
from yinling.credit_code import make_credit_code
from yinling.errors import Conflict, ValidationError
from yinling.v1.enterprises_pb2 import (
    GrantQualificationRequest,
    RegisterEnterpriseRequest,
    RenewQualificationRequest,
    RevokeQualificationRequest,
)

TODAY = date(2025, 6, 30)
AT = datetime(2025, 6, 30, 8, tzinfo=UTC)


def enterprise():  # type: ignore[no-untyped-def]
    return domain.register(RegisterEnterpriseRequest(
        credit_code=make_credit_code("440704", 33334444), name="n", district="440704",
        industry_cluster="c", registered_on="2018-01-15"), TODAY, AT).enterprise


def grant(e, **values):  # type: ignore[no-untyped-def]
    return qualifications.grant(e, GrantQualificationRequest(**values), TODAY, AT).enterprise


def high_tech(e=None, on: str = "2021-12-20"):  # type: ignore[no-untyped-def]
    return grant(e or enterprise(), kind="high_tech_enterprise", number="GR202144001234", granted_on=on)


def test_high_tech_certificate_is_valid_three_years_exclusive() -> None:
    q = high_tech().qualifications[0]
    assert (q.id, q.granted_on, q.valid_until) == ("q1", "2021-12-20", "2024-12-20")
    assert counts_on(q, date(2024, 12, 19)) and not counts_on(q, date(2024, 12, 20))


def test_high_tech_certificate_from_29_february_ends_on_28_february() -> None:
    assert high_tech(on="2024-02-29").qualifications[0].valid_until == "2027-02-28"


def test_high_tech_certificate_needs_a_number_and_its_fixed_validity() -> None:
    with pytest.raises(ValidationError) as caught:
        grant(enterprise(), kind="high_tech_enterprise", granted_on="2021-12-20")
    assert caught.value.field == "number"
    with pytest.raises(ValidationError) as caught:
        grant(enterprise(), kind="high_tech_enterprise", number="GR1", granted_on="2021-12-20",
              valid_until="2025-12-20")
    assert caught.value.field == "valid_until"


def test_second_high_tech_grant_while_one_is_valid_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        grant(high_tech(), kind="high_tech_enterprise", number="GR2", granted_on="2023-01-01")


def test_tech_sme_counts_until_first_january_of_the_next_year() -> None:
    q = grant(enterprise(), kind="tech_sme", number="2023440704A0001", granted_on="2023-04-11",
              year=2023).qualifications[0]
    assert (q.year, q.valid_until) == (2023, "2024-01-01")
    assert counts_on(q, date(2023, 12, 31)) and not counts_on(q, date(2024, 1, 1))


def test_tech_sme_year_must_match_the_registration_date_and_not_repeat() -> None:
    with pytest.raises(ValidationError) as caught:
        grant(enterprise(), kind="tech_sme", granted_on="2023-04-11", year=2022)
    assert caught.value.field == "year"
    e = grant(enterprise(), kind="tech_sme", granted_on="2023-04-11")
    with pytest.raises(Conflict):
        grant(e, kind="tech_sme", granted_on="2023-09-01")


def test_innovation_model_requires_a_valid_high_tech_certificate_on_its_grant_date() -> None:
    with pytest.raises(Conflict) as caught:
        grant(enterprise(), kind="innovation_model", granted_on="2022-03-01")
    assert caught.value.field == "kind"
    with pytest.raises(Conflict):  # the certificate expired on 2024-12-20
        grant(high_tech(), kind="innovation_model", granted_on="2024-12-20")
    e = grant(high_tech(), kind="innovation_model", granted_on="2022-03-01")
    assert e.qualifications[1].valid_until == "2024-12-20"


def test_grant_before_registration_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        grant(enterprise(), kind="little_giant", granted_on="2017-01-01")
    assert caught.value.field == "granted_on"


def renew(e, on: str, number: str = "GR202444009999"):  # type: ignore[no-untyped-def]
    return qualifications.renew(e, RenewQualificationRequest(qualification_id="q1", number=number,
                                                            renewed_on=on), TODAY, AT)


def test_renewal_on_the_expiry_date_leaves_no_gap() -> None:
    renewed = renew(high_tech(), "2024-12-20")
    old, new = renewed.enterprise.qualifications
    assert renewed.change == "qualification_renewed"
    assert (new.id, new.granted_on, new.valid_until, new.number) == ("q2", "2024-12-20", "2027-12-20",
                                                                     "GR202444009999")
    assert counts_on(old, date(2024, 12, 19)) and counts_on(new, date(2024, 12, 20))
    assert old.valid_until == "2024-12-20"


def test_renewal_a_day_after_expiry_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        renew(high_tech(), "2024-12-21")
    assert caught.value.field == "renewed_on"


def test_renewal_before_expiry_is_accepted_and_only_once() -> None:
    e = renew(high_tech(), "2024-11-01").enterprise
    assert e.qualifications[1].valid_until == "2027-11-01"
    with pytest.raises(Conflict):
        renew(e, "2024-11-02", number="GR3")


def test_renewal_needs_a_new_number() -> None:
    with pytest.raises(ValidationError) as caught:
        renew(high_tech(), "2024-11-01", number="GR202144001234")
    assert caught.value.field == "number"


def revoke(e, on: str, reason: str = "fraud found in audit"):  # type: ignore[no-untyped-def]
    return qualifications.revoke(e, RevokeQualificationRequest(qualification_id="q1", revoked_on=on,
                                                              reason=reason), TODAY, AT)


def test_revocation_ends_counting_on_its_date_and_keeps_the_reason() -> None:
    revoked = revoke(high_tech(), "2023-06-01")
    q = revoked.enterprise.qualifications[0]
    assert (revoked.change, revoked.reason, q.revoked_on) == ("qualification_revoked",
                                                              "fraud found in audit", "2023-06-01")
    assert counts_on(q, date(2023, 5, 31)) and not counts_on(q, date(2023, 6, 1))


def test_revocation_needs_a_reason_a_date_in_validity_and_happens_once() -> None:
    with pytest.raises(ValidationError) as caught:
        revoke(high_tech(), "2023-06-01", reason=" ")
    assert caught.value.field == "reason"
    with pytest.raises(ValidationError) as caught:
        revoke(high_tech(), "2025-01-01")
    assert caught.value.field == "revoked_on"
    with pytest.raises(Conflict):
        revoke(revoke(high_tech(), "2023-06-01").enterprise, "2023-07-01")


def test_revoked_certificate_cannot_be_renewed() -> None:
    with pytest.raises(Conflict):
        renew(revoke(high_tech(), "2023-06-01").enterprise, "2024-12-20")


def test_unknown_kind_and_unknown_qualification_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        grant(enterprise(), kind="gazelle", granted_on="2022-01-01")
    assert caught.value.field == "kind"
    with pytest.raises(ValidationError) as caught:
        renew(enterprise(), "2022-01-01")
    assert caught.value.field == "qualification_id"

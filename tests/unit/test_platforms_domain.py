"""The platform lifecycle and its rules, as pure functions (no database, no broker)."""
import pytest

from services.platforms import domain
from services.platforms.corrections import correct
from services.platforms.kinds import KINDS, MUNICIPAL, NATIONAL, PROVINCIAL
from services.platforms.record import normalise
from yinling.credit_code import make_credit_code
from yinling.errors import Conflict, ValidationError
from yinling.v1.platforms_pb2 import RegisterPlatformRequest

NOW = "2024-01-01T00:00:00Z"


def registered(kind="engineering_technology_research_centre", **changes):
    fields = dict(name="江门市智能制造工程技术研究中心", kind=kind, host_organisation="江门某科技有限公司",
                  district="440703", industry_cluster="smart manufacturing", registered_on="2021-03-01")
    fields.update(changes)
    platform, change = domain.register(RegisterPlatformRequest(**fields), "plt-1", NOW)
    assert change == "registered"
    return platform


def accredited(level=PROVINCIAL, on="2022-05-10", **changes):
    p, change = domain.accredit(registered(**changes), level, on, NOW)
    assert change == "accredited"
    return p


def field_of(excinfo):
    return excinfo.value.field


def test_registration_opens_an_unaccredited_record_at_version_one():
    p = registered()
    assert (p.id, p.version, p.status, p.level) == ("plt-1", 1, domain.UNDER_CONSTRUCTION, 0)
    assert not p.periods


def test_the_kinds_of_the_plan_are_all_there_with_their_levels():
    assert len(KINDS) == 18
    assert KINDS["iur_centre"].levels == {MUNICIPAL}
    assert KINDS["key_laboratory"].levels == {NATIONAL, PROVINCIAL}


@pytest.mark.parametrize("changes, field", [
    (dict(district="440100"), "district"),
    (dict(kind="spaceport"), "kind"),
    (dict(name="  "), "name"),
    (dict(host_organisation=""), "host_organisation"),
    (dict(registered_on="2021-02-30"), "registered_on"),
    (dict(registered_on=""), "registered_on"),
    (dict(host_credit_code="91440703MA4UXXXXX1"), "host_credit_code"),
])
def test_a_bad_registration_names_the_field(changes, field):
    with pytest.raises(ValidationError) as exc:
        registered(**changes)
    assert field_of(exc) == field


def test_a_valid_host_credit_code_is_kept_in_upper_case():
    code = make_credit_code("440703", 12345678)
    assert registered(host_credit_code=code.lower()).host_credit_code == code


def test_accreditation_opens_a_period_at_the_level():
    p = accredited(PROVINCIAL, "2022-05-10")
    assert (p.status, p.level, p.version) == (domain.ACCREDITED, PROVINCIAL, 2)
    assert [(x.level, getattr(x, "from"), x.until) for x in p.periods] == [(PROVINCIAL, "2022-05-10", "")]


def test_an_iur_centre_cannot_be_national():
    with pytest.raises(ValidationError) as exc:
        domain.accredit(registered(kind="iur_centre"), NATIONAL, "2022-05-10", NOW)
    assert field_of(exc) == "level"


def test_accreditation_before_registration_names_the_accreditation_date():
    with pytest.raises(ValidationError) as exc:
        domain.accredit(registered(), PROVINCIAL, "2020-12-31", NOW)
    assert field_of(exc) == "accredited_on"


def test_an_accredited_platform_is_not_accredited_twice():
    with pytest.raises(Conflict):
        domain.accredit(accredited(), NATIONAL, "2023-01-01", NOW)


def test_yearly_evaluations_are_kept_once_per_year():
    p, change = domain.evaluate(accredited(), 2022, "good", "2023-03-01", NOW)
    assert change == "evaluated" and [(e.year, e.grade) for e in p.evaluations] == [(2022, "good")]
    with pytest.raises(Conflict) as exc:
        domain.evaluate(p, 2022, "excellent", "2023-04-01", NOW)
    assert field_of(exc) == "year"


@pytest.mark.parametrize("year, grade, on, field", [
    (2021, "good", "2022-06-01", "year"),           # a year before the accreditation
    (2022, "good", "2022-05-01", "evaluated_on"),   # evaluated before being accredited
    (2023, "good", "2022-12-01", "evaluated_on"),   # before the year evaluated began
    (2022, "superb", "2023-03-01", "grade"),
    (2022, "good", "2023/03/01", "evaluated_on"),
])
def test_a_bad_evaluation_names_the_field(year, grade, on, field):
    with pytest.raises(ValidationError) as exc:
        domain.evaluate(accredited(on="2022-05-10"), year, grade, on, NOW)
    assert field_of(exc) == field


def test_an_unaccredited_platform_is_not_evaluated():
    with pytest.raises(Conflict):
        domain.evaluate(registered(), 2022, "good", "2023-03-01", NOW)


def test_an_upgrade_closes_the_period_and_opens_one_at_the_new_level():
    p, change = domain.change_level(accredited(PROVINCIAL, "2022-05-10"), NATIONAL, "2023-07-01", "MOST list", NOW)
    assert change == "upgraded" and p.level == NATIONAL
    assert [(x.level, getattr(x, "from"), x.until) for x in p.periods] == [
        (PROVINCIAL, "2022-05-10", "2023-07-01"), (NATIONAL, "2023-07-01", "")]


def test_a_downgrade_is_named_so():
    _, change = domain.change_level(accredited(PROVINCIAL), MUNICIPAL, "2023-07-01", "weak results", NOW)
    assert change == "downgraded"


@pytest.mark.parametrize("level, on, reason, field", [
    (PROVINCIAL, "2023-07-01", "same", "level"),
    (NATIONAL, "2023-07-01", " ", "reason"),
    (NATIONAL, "2022-05-10", "same day", "effective_on"),
    (NATIONAL, "2022-01-01", "before", "effective_on"),
])
def test_a_bad_level_change_names_the_field(level, on, reason, field):
    with pytest.raises(ValidationError) as exc:
        domain.change_level(accredited(PROVINCIAL, "2022-05-10"), level, on, reason, NOW)
    assert field_of(exc) == field


def test_a_level_the_kind_cannot_hold_is_refused_on_a_level_change():
    with pytest.raises(ValidationError) as exc:
        domain.change_level(accredited(PROVINCIAL, kind="key_laboratory"), MUNICIPAL, "2023-01-01", "x", NOW)
    assert field_of(exc) == "level"


def test_revocation_closes_the_open_period_and_keeps_the_level():
    p, change = domain.revoke(accredited(PROVINCIAL, "2022-05-10"), "2024-06-30", "failed evaluation", NOW)
    assert change == "revoked" and p.status == domain.REVOKED and p.level == PROVINCIAL
    assert p.periods[-1].until == "2024-06-30"


@pytest.mark.parametrize("on, reason, field", [("2022-05-01", "x", "revoked_on"), ("2024-06-30", "", "reason"),
                                               ("30/06/2024", "x", "revoked_on")])
def test_a_bad_revocation_names_the_field(on, reason, field):
    with pytest.raises(ValidationError) as exc:
        domain.revoke(accredited(PROVINCIAL, "2022-05-10"), on, reason, NOW)
    assert field_of(exc) == field


def test_a_revoked_platform_may_be_accredited_again_in_a_new_period():
    revoked, _ = domain.revoke(accredited(PROVINCIAL, "2022-05-10"), "2023-06-30", "closed", NOW)
    with pytest.raises(ValidationError) as exc:
        domain.accredit(revoked, PROVINCIAL, "2023-06-01", NOW)
    assert field_of(exc) == "accredited_on"
    again, change = domain.accredit(revoked, MUNICIPAL, "2024-01-15", NOW)
    assert change == "accredited" and again.status == domain.ACCREDITED and again.version == 4
    assert [(x.level, getattr(x, "from"), x.until) for x in again.periods] == [
        (PROVINCIAL, "2022-05-10", "2023-06-30"), (MUNICIPAL, "2024-01-15", "")]


def test_a_revoked_platform_is_neither_revoked_again_nor_changed_in_level():
    revoked, _ = domain.revoke(accredited(), "2023-06-30", "closed", NOW)
    with pytest.raises(Conflict):
        domain.revoke(revoked, "2023-07-30", "again", NOW)
    with pytest.raises(Conflict):
        domain.change_level(revoked, NATIONAL, "2023-07-30", "up", NOW)


def test_a_correction_changes_one_field_and_the_version():
    p, change = correct(accredited(), "district", "440705", "typo in the filing", NOW)
    assert change == "corrected" and p.district == "440705" and p.version == 3


@pytest.mark.parametrize("field, value, reason, named", [
    ("district", "440705", "", "reason"),
    ("colour", "red", "x", "field"),
    ("district", "999999", "x", "district"),
    ("kind", "iur_centre", "x", "kind"),                 # an iur_centre cannot be provincial
    ("registered_on", "2022-06-01", "x", "registered_on"),  # after the accreditation
    ("registered_on", "June", "x", "registered_on"),
    ("name", "", "x", "name"),
    ("district", "440703", "x", "value"),                # no change at all
])
def test_a_correction_that_would_make_the_record_invalid_is_refused(field, value, reason, named):
    with pytest.raises(ValidationError) as exc:
        correct(accredited(PROVINCIAL, "2022-05-10"), field, value, reason, NOW)
    assert field_of(exc) == named


def test_names_are_the_same_whatever_the_case_and_spacing():
    assert normalise(" Jiangmen  Key Lab ") == normalise("jiangmen key lab") == normalise("ＪＩＡＮＧＭＥＮ KeyLab")
    assert normalise("江门 实验室") == normalise("江门实验室")

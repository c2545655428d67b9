"""Identity numbers (ISO 7064 MOD 11-2) and keyed pseudonyms: pure logic."""
from __future__ import annotations

import pytest

from services.talent.identity import (
    check_character,
    person_subject,
    pseudonym,
    team_subject,
    validate_identity_number,
)
from yinling.errors import ValidationError

KEY = b"unit-test-key"


def identity(body17: str) -> str:
    return body17 + check_character(body17)


def test_published_example_number_has_check_character_x() -> None:
    # GB 11643 example: 11010519491231002X
    assert validate_identity_number("11010519491231002X") == "11010519491231002X"


def test_lower_case_x_and_full_width_digits_are_normalised() -> None:
    assert validate_identity_number(" １１０１０５１９４９１２３１００２x ") == "11010519491231002X"


@pytest.mark.parametrize("bad, reason", [
    ("110105194912310021", "check digit"),
    ("11010519491231002", "18 characters"),
    ("1101051949123100X2", "18 characters"),
    (identity("44070319990231123"), "birth date"),
    ("", "required"),
])
def test_invalid_identity_number_is_refused_naming_the_field(bad: str, reason: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_identity_number(bad)
    assert err.value.field == "person.identity_number"
    assert reason in err.value.reason


def test_refusal_never_echoes_the_number() -> None:
    with pytest.raises(ValidationError) as err:
        validate_identity_number("110105194912310021")
    assert "110105194912310021" not in str(err.value)


def test_pseudonym_is_stable_for_a_person_and_differs_across_persons() -> None:
    a, b = identity("44070319850101123"), identity("44070319850101124")
    assert pseudonym(person_subject(a), KEY) == pseudonym(person_subject(a), KEY)
    assert pseudonym(person_subject(a), KEY) != pseudonym(person_subject(b), KEY)


def test_pseudonym_depends_on_the_key_and_does_not_contain_the_number() -> None:
    number = identity("44070319850101123")
    made = pseudonym(person_subject(number), KEY)
    assert made.startswith("psn-") and len(made) == 4 + 32
    assert number not in made
    assert made != pseudonym(person_subject(number), b"another-key")


def test_team_pseudonym_differs_from_its_leaders_and_between_teams() -> None:
    leader = identity("44070319850101123")
    team = pseudonym(team_subject(leader, "Optics Team"), KEY)
    assert team != pseudonym(person_subject(leader), KEY)
    assert team == pseudonym(team_subject(leader, "  optics   TEAM "), KEY)
    assert team != pseudonym(team_subject(leader, "Battery Team"), KEY)

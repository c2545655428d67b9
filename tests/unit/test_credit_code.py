"""GB 32100-2015 unified social credit codes: published codes pass, hand-made faults are named."""
from __future__ import annotations

import pytest

from yinling.credit_code import (
    check_character,
    make_credit_code,
    org_check_character,
    validate_credit_code,
)
from yinling.errors import ValidationError

# Codes printed on published business licences and certificates.
PUBLISHED = [
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "91440300708461136T",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91330100716105852F",  # Alibaba (China) Co., Ltd.
    "91440606722473344C",  # Midea Group Co., Ltd.
    "91440300192317458F",  # BYD Co., Ltd.
    "911100007109250324",  # China Mobile Communications Group Co., Ltd.
    "91110108551385082Q",  # Xiaomi Technology Co., Ltd.
    "91440300279544901A",  # Ping An Insurance (Group) Company of China, Ltd.
    "91440300MA5H8REU3K",  # a Shenzhen company issued after 2015: letters in the organisation code
]


def reason_of(code: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.field == "credit_code"
    return caught.value.reason


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code


def test_code_is_trimmed_and_upper_cased() -> None:
    assert validate_credit_code("  91440300708461136t ") == "91440300708461136T"


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V"])
def test_excluded_letters_are_named_with_their_position(bad: str) -> None:
    code = "91440300" + bad + "08461136T"
    assert reason_of(code) == (f"character {bad!r} at position 9 is not allowed "
                               "(GB 32100 excludes I, O, Z, S, V)")


def test_wrong_check_character_names_the_expected_one() -> None:
    assert reason_of("91440300708461136Y") == "check character is 'Y', expected 'T'"


def test_wrong_organisation_check_character_is_rejected() -> None:
    # Position 17 changed and position 18 recomputed so only GB 11714 can catch it.
    first17 = "9144030070846113" + "7"
    code = first17 + check_character(first17)
    assert "organisation code check character (position 17) is '7', expected '6'" in reason_of(code)


def test_wrong_length_is_rejected() -> None:
    assert reason_of("9144030070846113") == "'9144030070846113' has 16 characters, expected 18"


def test_missing_code_is_rejected() -> None:
    assert "is required" in reason_of("   ")


def test_letter_in_division_code_is_rejected() -> None:
    first16 = "9144A300" + "70846113"
    first17 = first16 + "6"
    assert "position 5 is not a digit" in reason_of(first17 + check_character(first17))


def test_single_transposition_is_caught() -> None:
    assert "expected" in reason_of("91440300708461163T")


def test_check_value_31_maps_to_zero() -> None:
    # A weighted sum of 0 gives 31 - 0 = 31, which the standard writes as '0'.
    assert check_character("0" * 17) == "0"


def test_many_made_codes_are_valid() -> None:
    codes = [make_credit_code("440703", n) for n in range(200)]
    assert all(validate_credit_code(c) == c for c in codes)


def test_organisation_check_uses_x_for_ten() -> None:
    assert org_check_character("70846113") == "6"
    assert any(org_check_character(f"{n:08d}") == "X" for n in range(50))


def test_made_codes_carry_division_and_are_valid() -> None:
    code = make_credit_code("440704", 12345678)
    assert code.startswith("91440704123456788")
    assert validate_credit_code(code) == code


def test_making_a_code_with_excluded_letter_fails() -> None:
    with pytest.raises(ValidationError):
        make_credit_code("440704", "1234567O")


def test_making_a_code_with_a_short_division_names_the_division() -> None:
    with pytest.raises(ValidationError) as info:
        make_credit_code("44070", 12345678)
    assert info.value.field == "division"

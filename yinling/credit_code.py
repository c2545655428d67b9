"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: 1 registration authority, 2 organisation type, 3-8 administrative
division (GB/T 2260, 6 digits), 9-17 organisation code (GB 11714: 8 characters
plus its own check character), 18 check character over positions 1-17.
"""
from __future__ import annotations

from yinling.errors import ValidationError, shown

FIELD = "credit_code"
# The 31 characters of GB 32100; their index is their value. I, O, Z, S, V are
# left out because they are easily mistaken for 1, 0, 2, 5, U.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714 organisation code: 8 body characters weighted, check = 11 - sum mod 11.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_value(ch: str) -> int:
    # GB 11714 values: digits 0-9, letters A-Z 10-35 (by their place in the Latin alphabet).
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check_character(body: str) -> str:
    """Check character of a GB 11714 organisation code from its 8 body characters."""
    c = 11 - sum(_org_value(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def check_character(first17: str) -> str:
    """Check character (position 18) of a credit code from its first 17 characters."""
    c = 31 - sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True)) % 31
    return ALPHABET[0 if c == 31 else c]


def validate_credit_code(text: str, field: str = FIELD) -> str:
    """Return the normalised code (trimmed, upper case) or raise ValidationError(field, reason)."""
    code = (text or "").strip().upper()
    if not code:
        raise ValidationError(field, "is required (18-character unified social credit code)")
    if len(code) != 18:
        raise ValidationError(field, f"{shown(code)} has {len(code)} characters, expected 18")
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise ValidationError(
                field, f"character {ch!r} at position {pos} is not allowed "
                       "(GB 32100 excludes I, O, Z, S, V)")
    for pos in range(3, 9):
        if not code[pos - 1].isdigit():
            raise ValidationError(
                field, f"character {code[pos - 1]!r} at position {pos} is not a digit "
                       "(positions 3-8 are the administrative division code)")
    org_expected = org_check_character(code[8:16])
    if code[16] != org_expected:
        raise ValidationError(
            field, f"organisation code check character (position 17) is {code[16]!r}, "
                   f"expected {org_expected!r}")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(field, f"check character is {code[17]!r}, expected {expected!r}")
    return code


def make_credit_code(division: str, org_body: str | int,
                     authority: str = "9", org_type: str = "1") -> str:
    """Build a valid code, e.g. for demo data: make_credit_code("440703", 12345678).

    `org_body` is the 8-character organisation code body (an int is zero-padded);
    authority "9" / type "1" is the common case, a company registered by market regulation.
    """
    body = f"{org_body:08d}" if isinstance(org_body, int) else org_body.upper()
    if len(body) != 8:
        raise ValidationError("org_body", f"{shown(body)} must have 8 characters")
    if len(division) != 6:
        raise ValidationError("division", f"{shown(division)} must have 6 characters")
    first16 = f"{authority}{org_type}{division}{body}".upper()
    first17 = first16 + org_check_character(body)
    # Validate the parts through the same rules the registry applies.
    return validate_credit_code(first17 + check_character(_checked_17(first17)))


def _checked_17(first17: str) -> str:
    for pos, ch in enumerate(first17, start=1):
        if ch not in _VALUE:
            raise ValidationError(
                FIELD, f"character {ch!r} at position {pos} is not allowed "
                       "(GB 32100 excludes I, O, Z, S, V)")
    return first17

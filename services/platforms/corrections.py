"""Corrections of recorded facts (a misspelt name, a wrong district): always with a reason,
and refused when the corrected record would no longer be valid."""
from __future__ import annotations

from services.platforms.domain import next_version
from services.platforms.kinds import require_kind
from services.platforms.record import (
    clean_credit_code,
    require_reason,
    require_text,
    validate_record,
)
from yinling.bounds import check_as
from yinling.dates import iso, parse_date
from yinling.errors import ValidationError, shown
from yinling.territory import require_district
from yinling.v1.platforms_pb2 import Platform

CORRECTABLE = ("name", "host_organisation", "host_credit_code", "district", "industry_cluster",
               "kind", "registered_on")


def _clean(field: str, value: str) -> str:
    value = check_as(field, value, field)  # the corrected field's own bound
    if field in ("name", "host_organisation"):
        return require_text(value, field)
    if field == "industry_cluster":
        return require_text(value, field, required=False)
    if field == "host_credit_code":
        return clean_credit_code(value)
    if field == "district":
        return require_district(value.strip())
    if field == "kind":
        return require_kind(value.strip()).code
    return iso(parse_date(value.strip(), "registered_on"))


def correct(p: Platform, field: str, value: str, reason: str, now: str) -> tuple[Platform, str]:
    require_reason(reason)
    if field not in CORRECTABLE:
        raise ValidationError("field", f"{shown(field)} cannot be corrected; one of {', '.join(CORRECTABLE)}")
    cleaned = _clean(field, value)
    if getattr(p, field) == cleaned:
        raise ValidationError("value", f"{field} is already {shown(cleaned)}")
    new = next_version(p, now)
    setattr(new, field, cleaned)
    try:
        validate_record(new)
    except ValidationError as exc:
        # Name the corrected field: it is the one the caller can change.
        raise ValidationError(field, f"the corrected record would be invalid: {exc}") from None
    return new, "corrected"

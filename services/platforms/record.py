"""What makes a platform record valid on its own, whatever command produced it."""
from __future__ import annotations

import unicodedata

from services.platforms.kinds import require_kind, require_level_for
from yinling.credit_code import validate_credit_code
from yinling.dates import parse_date, require_order
from yinling.errors import ValidationError
from yinling.territory import require_district
from yinling.v1.platforms_pb2 import Platform, PlatformStatus

MAX_TEXT = 200


def normalise(text: str) -> str:
    """Key for "the same name": NFKC (full-width letters), case-folded, whitespace dropped,
    so "江门 实验室" and "Key Lab" vs "key  lab" collide as people would expect."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def require_text(value: str, field: str, required: bool = True) -> str:
    text = " ".join(value.split())
    if required and not text:
        raise ValidationError(field, "is required")
    if len(text) > MAX_TEXT:
        raise ValidationError(field, f"is longer than {MAX_TEXT} characters")
    return text


def require_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationError("reason", "is required for this change")
    return text


def clean_credit_code(value: str) -> str:
    return validate_credit_code(value, "host_credit_code") if value.strip() else ""


def validate_record(p: Platform) -> None:
    """Raise naming the first field that makes the record inconsistent."""
    require_text(p.name, "name")
    require_text(p.host_organisation, "host_organisation")
    require_district(p.district)
    kind = require_kind(p.kind)
    registered = parse_date(p.registered_on, "registered_on")
    if p.status != PlatformStatus.PLATFORM_STATUS_UNDER_CONSTRUCTION:
        require_level_for(kind, p.level)
    for period in p.periods:
        require_level_for(kind, period.level)
    if p.periods:
        first = parse_date(getattr(p.periods[0], "from"), "accredited_on")
        assert registered is not None and first is not None
        require_order(registered, first, "registered_on", "accredited_on")

"""Query parameters of the feed, checked before any backend is asked."""
from __future__ import annotations

import re
from datetime import date

from services.opendata.errors import bad_parameter
from yinling.territory import CITY, DISTRICTS
from yinling.v1 import platforms_pb2

LEVELS = {
    "national": platforms_pb2.PLATFORM_LEVEL_NATIONAL,
    "provincial": platforms_pb2.PLATFORM_LEVEL_PROVINCIAL,
    "municipal": platforms_pb2.PLATFORM_LEVEL_MUNICIPAL,
}
MAX_CURSOR = 2**63 - 1   # int64 on the wire
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def territory(value: str | None, field: str = "territory") -> str:
    if not value:
        return ""
    if value != CITY and value not in DISTRICTS:
        raise bad_parameter(field, f"unknown territory {value!r}; expected {CITY} or one of "
                                   f"{', '.join(sorted(DISTRICTS))}")
    return value


def district(value: str | None) -> str:
    if not value:
        return ""
    if value not in DISTRICTS:
        raise bad_parameter("district", f"unknown district {value!r}; expected one of "
                                        f"{', '.join(sorted(DISTRICTS))}")
    return value


def as_of(value: str | None, field: str = "as_of") -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise bad_parameter(field, f"{value!r} is not a date in the form YYYY-MM-DD") from None


def series(value: str | None) -> str:
    """Which history series: "now" (default) or a year-end date of the plan."""
    if not value or value == "now":
        return "now"
    return as_of(value, "series")


def code(value: str | None, field: str) -> str:
    if not value:
        return ""
    if not _CODE.match(value):
        raise bad_parameter(field, f"{value!r} is not a code (lower-case letters, digits, _)")
    return value


def level(value: str | None) -> int:
    if not value:
        return 0
    if value not in LEVELS:
        raise bad_parameter("level", f"unknown level {value!r}; expected one of {', '.join(LEVELS)}")
    return LEVELS[value]


def limit(value: str | None, maximum: int = 500) -> int:
    """0 when not given: the backend's default page size."""
    if not value:
        return 0
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise bad_parameter("limit", f"must be between 1 and {maximum}")
    return int(value)


def cursor(value: str | None, field: str = "after") -> int:
    """A change-log cursor: 0 (from the first change) or the last cursor received."""
    if not value:
        return 0
    if not value.isdigit() or int(value) > MAX_CURSOR:
        raise bad_parameter(field, f"{value!r} is not a cursor (0 or a cursor received)")
    return int(value)


def codes(values: list[str], field: str) -> list[str]:
    return [code(v, field) for v in values if v]


def territories(values: list[str]) -> list[str]:
    return [territory(v) for v in values if v]

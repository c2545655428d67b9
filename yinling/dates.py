"""Calendar dates at the edges of the platform: ISO strings in, `date` inside."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from yinling.errors import ValidationError, shown

CITY_TZ = ZoneInfo("Asia/Shanghai")


def parse_date(text: str, field: str, required: bool = True) -> date | None:
    """Parse "YYYY-MM-DD"; a bad or missing value raises naming the field."""
    if not text:
        if required:
            raise ValidationError(field, "is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, f"{shown(text)} is not a date in the form YYYY-MM-DD") from None


def iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def today_in_city(now: datetime | None = None) -> date:
    """The city's calendar day: a certificate expiring at midnight expires at Jiangmen's midnight."""
    return (now or datetime.now(CITY_TZ)).astimezone(CITY_TZ).date()


def add_years(day: date, years: int) -> date:
    """Same month and day `years` later; 29 February falls to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def require_order(earlier: date, later: date, earlier_field: str, later_field: str) -> None:
    if later < earlier:
        raise ValidationError(later_field, f"{later.isoformat()} is before {earlier_field} {earlier.isoformat()}")

"""Numbers as people read them on the page: thousands separators, money in 万元 / 亿元,
percentages, units named in Chinese and English. The CSV and JSON keep the exact decimals.

Pure functions on the API's decimal strings, so the page's text can be checked against the
API's numbers without a browser.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_UNIT = "CNY"
_DECIMAL = re.compile(r"^(-?)(\d+)(\.\d+)?$")

# unit of the plan -> (Chinese, English) as shown beside a number
UNITS = {
    "%": ("%", "%"),
    "enterprises": ("家", "enterprises"),
    "platforms": ("个", "platforms"),
    "teams": ("个", "teams"),
    "persons": ("人", "persons"),
    "centres": ("个", "centres"),
    "laboratories": ("个", "laboratories"),
    "divisions": ("个", "divisions"),
}


@dataclass(frozen=True)
class Scale:
    """How one row's money is shown: every amount of the row in the same unit."""
    divisor: Decimal
    zh: str
    en: str
    places: int


YUAN = Scale(Decimal(1), "元", "yuan", 2)
WAN = Scale(Decimal(10_000), "万元", "10,000 yuan", 2)
YI = Scale(Decimal(100_000_000), "亿元", "100 million yuan", 2)
COUNT = Scale(Decimal(1), "", "", -1)   # counts and ratios: every digit as given


def grouped(text: str) -> str:
    """Thousands separators ("1,054,340,000.00"), by text so no digit is lost."""
    match = _DECIMAL.match(text)
    if not match:
        return text
    sign, whole, fraction = match.groups()
    return f"{sign}{int(whole):,}{fraction or ''}"


def decimal_or_none(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text not in (None, "") else None
    except InvalidOperation:
        return None


def scale_for(unit: str, *amounts: str | None) -> Scale:
    """亿元 from a hundred million up, 万元 from ten thousand, else 元: chosen by the largest
    amount of the row (value, target, baseline), so the row compares like with like."""
    if unit != MONEY_UNIT:
        return COUNT
    largest = max((abs(d) for a in amounts if (d := decimal_or_none(a)) is not None),
                  default=Decimal(0))
    if largest >= YI.divisor:
        return YI
    if largest >= WAN.divisor:
        return WAN
    return YUAN


def shown(text: str | None, scale: Scale = COUNT) -> str:
    """An API decimal as the page shows it; "—" when there is none."""
    value = decimal_or_none(text)
    if value is None or text is None:
        return "—"
    if scale.places < 0:
        return grouped(text)
    step = Decimal(1).scaleb(-scale.places)
    return grouped(format((value / scale.divisor).quantize(step, ROUND_HALF_UP), "f"))


def unit_names(unit: str, scale: Scale = COUNT) -> tuple[str, str]:
    if unit == MONEY_UNIT:
        return scale.zh, scale.en
    return UNITS.get(unit, (unit, unit))


def percent(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


def tolerance_percent(tolerance: Decimal) -> str:
    return f"{(tolerance * 100).normalize():f}%"

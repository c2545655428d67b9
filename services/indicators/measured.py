"""A measured indicator value before it is stated against the plan."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Measured:
    value: Decimal | None
    period: str = ""
    note: str = ""
    contributors: int | None = None   # distinct enterprises or people behind the value
    suppressed: bool = False           # withheld from public outputs (small-cell rule)


def quantize(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)

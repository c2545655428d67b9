"""Reading one cell by its column's type: dates into ISO form, district names into codes,
money in 元, 万元 or 亿元 into the owner's unit. Pure. A cell that cannot be read raises
ValidationError naming the column; whether a value is allowed is the owner's rule, not this."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from services.ingest.kinds import Column
from yinling.errors import ValidationError, shown
from yinling.territory import CITY, CITY_NAME, DISTRICTS

# CNY per unit; CNY_10K is the statistics bureau's 万元 under its code name.
UNITS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000),
         "CNY": Decimal(1), "CNY_10K": Decimal(10_000), "CNY_100M": Decimal(100_000_000)}
TARGETS = {"fen": Decimal("0.01"), "CNY_10K": Decimal(10_000)}
NAMES = {name: code for code, names in DISTRICTS.items() for name in names}
DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
NUMBER = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)?$")
HEADER_UNIT = re.compile(r"^(.*?)\s*[（(]\s*(元|万元|亿元)\s*[)）]$")


def header_unit(header: str) -> tuple[str, str]:
    """"营业收入（万元）" -> ("营业收入", "万元"); a header without a unit -> (header, "")."""
    match = HEADER_UNIT.match(header)
    return (match.group(1), match.group(2)) if match else (header, "")


def read_cell(column: Column, text: str) -> str | int:
    if column.type == "date":
        match = DATE.match(text)
        return f"{match.group(1)}-{int(match.group(2)):02d}-{int(match.group(3)):02d}" if match else text
    if column.type in ("year", "count"):
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            raise ValidationError(column.name, f"{shown(text)} is not a whole number")
        return int(text)
    if column.type == "district":
        return NAMES.get(text, text)
    if column.type == "territory":
        return CITY if text in CITY_NAME else NAMES.get(text, text)
    if column.type == "choice":
        if text not in column.values:
            raise ValidationError(column.name, f"{shown(text)} is not one of {', '.join(column.values)}")
        return column.values[text]
    if column.type == "unit":
        if text not in UNITS:
            raise ValidationError(column.name, f"{shown(text)} is not one of {', '.join(UNITS)}")
        return text
    return text


def convert_money(column: Column, text: str, unit: str) -> str | int:
    """An amount in `unit`, in the column's target unit: exact, never rounded."""
    plain = text.replace(",", "")
    if not NUMBER.match(text) or len(plain) > 30:
        raise ValidationError(column.name, f"{shown(text)} is not a number")
    try:
        amount = Decimal(plain) * UNITS[unit] / TARGETS[column.to]
    except InvalidOperation:
        raise ValidationError(column.name, f"{shown(text)} is not a number") from None
    if column.to == "fen":
        if amount != amount.to_integral_value():
            raise ValidationError(column.name, f"{shown(text)} {unit} is not a whole number of fen")
        return int(amount)
    normal = amount.normalize()
    return format(normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal, "f")

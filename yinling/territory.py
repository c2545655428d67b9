"""The city's territory: GB/T 2260 codes of Jiangmen and its seven county-level divisions."""
from __future__ import annotations

from types import MappingProxyType

from yinling.errors import ValidationError, shown

CITY = "440700"

DISTRICTS = MappingProxyType(
    {
        "440703": ("蓬江区", "Pengjiang"),
        "440704": ("江海区", "Jianghai"),
        "440705": ("新会区", "Xinhui"),
        "440781": ("台山市", "Taishan"),
        "440783": ("开平市", "Kaiping"),
        "440784": ("鹤山市", "Heshan"),
        "440785": ("恩平市", "Enping"),
    }
)

CITY_NAME = ("江门市", "Jiangmen")


def require_district(code: str, field: str = "district") -> str:
    """Return the code if it names one of the seven divisions, else raise naming the field."""
    if code not in DISTRICTS:
        raise ValidationError(field, f"unknown district code {shown(code)}; expected one of {sorted(DISTRICTS)}")
    return code


def name_of(code: str) -> tuple[str, str]:
    if code == CITY:
        return CITY_NAME
    return DISTRICTS[code]

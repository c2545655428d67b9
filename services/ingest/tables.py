"""Parsing and validating reported tables. Pure: bytes in, rows or every error out.

The whole table is checked before anything is accepted, so a steward sees all the bad
rows of a yearbook table at once and a batch is never half-taken.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from yinling.bounds import MAX_SHORT, bounded_decimal, clean_text, iso_date
from yinling.errors import ValidationError, shown
from yinling.territory import CITY, DISTRICTS

T = TypeVar("T")

MEASURES = ("gdp", "rd_expenditure")
UNITS = ("CNY_10K",)
REGIONAL_COLUMNS = ("territory", "year", "measure", "value", "unit", "source", "reported_on")
REQUIRED = ("territory", "year", "measure", "value")
MAX_ROWS = 10_000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.reason}"


class TableError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        listed = "; ".join(str(e) for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s): {listed}{more}")


@dataclass(frozen=True)
class RegionalRow:
    row: int
    territory: str
    year: int
    measure: str
    value: str  # exact decimal text, normalised
    unit: str
    source: str
    reported_on: str


def parse_regional_statistics(content: bytes, default_source: str) -> list[RegionalRow]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError([RowError(0, "content", f"not UTF-8 ({exc.reason} at byte {exc.start})")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _parse_rows(reader, default_source)
    except csv.Error as exc:  # a stray quote or carriage return: the table, not the gateway, is bad
        raise TableError([RowError(reader.line_num, "content", f"not valid CSV ({exc})")]) from None


def _parse_rows(reader: csv.DictReader, default_source: str) -> list[RegionalRow]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REGIONAL_COLUMNS]
    errors = [RowError(0, c, "required column is missing") for c in missing]
    errors += [RowError(0, c if len(c) <= 40 else shown(c)[:40], f"unknown column; expected {', '.join(REGIONAL_COLUMNS)}")
               for c in unknown]
    if errors:
        raise TableError(errors)
    rows: list[RegionalRow] = []
    seen: dict[tuple[str, int, str], int] = {}
    for number, raw in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise TableError([RowError(number, "content", f"more than {MAX_ROWS} rows; split the table")])
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        row, row_errors = _regional_row(number, cells, default_source)
        errors += row_errors
        if row is not None:
            key = (row.territory, row.year, row.measure)
            if key in seen:
                errors.append(RowError(number, "measure", f"same territory/year/measure as row {seen[key]}"))
            seen[key] = number
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(0, "content", "the table has no data rows"))
    if errors:
        raise TableError(errors)
    return rows


def _regional_row(number: int, cells: dict[str, str], default_source: str) -> tuple[RegionalRow | None, list[RowError]]:
    errors: list[RowError] = []
    territory = cells.get("territory", "")
    if territory != CITY and territory not in DISTRICTS:
        errors.append(RowError(number, "territory", f"unknown territory code {shown(territory)}"))
    year_text = cells.get("year", "")
    year = int(year_text) if year_text.isdigit() and len(year_text) <= 4 else 0
    if not 2000 <= year <= date.today().year:
        errors.append(RowError(number, "year", f"{shown(year_text)} is not a year between 2000 and this year"))
    measure = cells.get("measure", "")
    if measure not in MEASURES:
        errors.append(RowError(number, "measure", f"{shown(measure)} is not one of {', '.join(MEASURES)}"))
    value = _bounded(errors, number, "value", lambda: bounded_decimal(cells.get("value", ""), "value"))
    unit = cells.get("unit") or "CNY_10K"
    if unit not in UNITS:
        errors.append(RowError(number, "unit", f"{shown(unit)} is not one of {', '.join(UNITS)}"))
    reported_on = cells.get("reported_on", "")
    if reported_on:
        day = _bounded(errors, number, "reported_on", lambda: iso_date(reported_on, "reported_on",
                                                                        past=True))
        reported_on = day.isoformat() if day else reported_on
    source = _bounded(errors, number, "source",
                      lambda: clean_text(cells.get("source") or default_source, "source", MAX_SHORT))
    if not source and not any(e.column == "source" for e in errors):
        errors.append(RowError(number, "source", "required (a column, or the batch's source)"))
    if errors or value is None or source is None:
        return None, errors
    return RegionalRow(number, territory, year, measure, format(value, "f"), unit, source, reported_on), []


def _bounded(errors: list[RowError], number: int, column: str, check: Callable[[], T]) -> T | None:
    """Run one of the kernel's bounds; its refusal becomes this row's error."""
    try:
        return check()
    except ValidationError as exc:
        errors.append(RowError(number, column, exc.reason))
        return None

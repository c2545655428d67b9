"""XLSX for people's spreadsheets: the same rows and header as the CSV (yinling.csv_export),
with the same formula neutralisation, so no cell of either file runs as a formula.

openpyxl's write-only mode streams rows into the file, so memory stays flat however many rows
a dataset has. A cell is written as the value it is (numbers as numbers, text as text); text
goes through `csv_export.neutralise` first, which also keeps openpyxl from reading a leading
`=` as a formula. Characters XML cannot hold (control characters) are dropped.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from yinling.csv_export import neutralise

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    value = neutralise(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def to_xlsx(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], sheet: str) -> bytes:
    """One sheet named `sheet` (at most 31 characters, as Excel allows): a header row, then
    one row per record in `columns` order; a missing or None value is an empty cell."""
    book = Workbook(write_only=True)
    table = book.create_sheet(sheet[:31])
    table.append([_cell(c) for c in columns])
    for row in rows:
        table.append([_cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

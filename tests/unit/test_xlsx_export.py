"""XLSX cells hold what the CSV's hold: formula-like text neutralised by the same rule, plain
numbers left as they are, characters XML cannot hold dropped (yinling.xlsx_export)."""
from __future__ import annotations

import io

import openpyxl
import pytest

from yinling.csv_export import to_csv
from yinling.xlsx_export import to_xlsx


def _cells(body: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", ("'=1+1", "s")), ("@SUM(A1)", ("'@SUM(A1)", "s")), ("-12.5", ("-12.5", "s")),
    (7, (7, "n")), ("a\x00b", ("ab", "s")), ("江门", ("江门", "s")),
])
def test_a_cell_is_written_as_the_csv_writes_it(value, expected):
    header, row = _cells(to_xlsx([{"a": value}], ["a"], "sheet"))
    assert header == [("a", "s")] and row == [expected]


def test_an_optional_bom_starts_the_csv_for_excel():
    plain = to_csv([{"a": "江门"}], ["a"])
    assert to_csv([{"a": "江门"}], ["a"], bom=True) == "\ufeff".encode() + plain
    assert not plain.startswith("\ufeff".encode())

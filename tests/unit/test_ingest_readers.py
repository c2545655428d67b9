"""Reading bureau files: CSV in UTF-8 (BOM or not) or GB18030, any line ends, XLSX (first or
named sheet), JSON Lines; an unreadable cell is a row error, never an exception."""
from __future__ import annotations

import json

import pytest

from ingest_files import csv_bytes, xlsx_bytes
from services.ingest.readers import MAX_CELL, BadRow, FileError, read_table

HEADER = ("统一社会信用代码", "企业名称")
ROWS = [["914407033100000140", "江门市鸿达激光科技有限公司"], ["91440705310000022P", "新会智造"]]


def rows_of(content: bytes, sheet: str = "") -> tuple[str, list[str], list]:
    table = read_table(content, sheet)
    return table.format, table.header, list(table.rows)


@pytest.mark.parametrize(("encoding", "newline", "expected"), [
    ("utf-8", "\r\n", "csv-utf-8"), ("utf-8-sig", "\n", "csv-utf-8"),
    ("gb18030", "\r\n", "csv-gb18030"), ("gb18030", "\r", "csv-gb18030"), ("utf-8", "\r", "csv-utf-8")])
def test_csv_is_read_in_utf8_or_gb18030_with_any_line_end(encoding, newline, expected):
    fmt, header, rows = rows_of(csv_bytes(HEADER, ROWS, encoding, newline))
    assert (fmt, header) == (expected, list(HEADER))
    assert rows == [(1, ROWS[0]), (2, ROWS[1])]


def test_xlsx_reads_the_named_sheet_or_else_the_first():
    content = xlsx_bytes(HEADER, ROWS, sheet="企业名单")
    assert rows_of(content, "企业名单")[1:] == (list(HEADER), [(1, ROWS[0]), (2, ROWS[1])])
    assert rows_of(content)[1] == ["本表由区科技局填报"]
    with pytest.raises(FileError, match="no sheet '名单'"):
        read_table(content, "名单")


def test_xlsx_numbers_and_dates_read_as_they_were_typed():
    from datetime import datetime
    content = xlsx_bytes(("年份", "营业收入", "发证日期"), [[2023, 12850.5, datetime(2023, 12, 28)]], sheet="s")
    assert rows_of(content, "s")[2] == [(1, ["2023", "12850.5", "2023-12-28"])]


def test_json_lines_take_their_columns_from_the_first_line():
    lines = [json.dumps({"credit_code": "9144", "year": 2023}), json.dumps({"credit_code": "9145", "year": 2022}),
             json.dumps({"credit_code": "9146", "extra": 1}), "[1]"]
    fmt, header, rows = rows_of("\n".join(lines).encode())
    assert (fmt, header) == ("jsonl", ["credit_code", "year"])
    assert rows[:2] == [(1, ["9144", "2023"]), (2, ["9145", "2022"])]
    assert rows[2] == BadRow(3, "extra", "not a column of line 1 (columns: credit_code, year)")
    assert rows[3].reason == "not a JSON object"


@pytest.mark.parametrize("size", [MAX_CELL + 1, 200_000])
def test_a_cell_over_the_bound_is_a_row_error(size):
    content = csv_bytes(HEADER, [ROWS[0], ["9144", "x" * size], ROWS[1]])
    rows = rows_of(content)[2]
    assert isinstance(rows[1], BadRow) and rows[1].row == 2
    assert rows[0] == (1, ROWS[0]) and rows[2] == (3, ROWS[1])


def test_bytes_that_are_no_text_are_a_file_error():
    with pytest.raises(FileError, match="neither UTF-8"):
        read_table(b"\x81\x30\xff\xff\x00")
    with pytest.raises(FileError, match="empty"):
        read_table(b"")

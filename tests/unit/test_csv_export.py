"""CSV cells a spreadsheet would run as formulas are neutralised as OWASP recommends; plain
numbers stay numbers (yinling.csv_export)."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinling.csv_export import TRIGGERS, neutralise, to_csv


@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "-2E5",
                                  "=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "-", "+"])
def test_a_cell_starting_with_a_trigger_gets_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.5", "-3", "+7", "0.25", "1234567.89", 5, -5, 2.5, None])
def test_plain_numbers_and_non_text_values_are_left_as_they_are(cell):
    assert neutralise(cell) == cell


def test_ordinary_text_is_unchanged():
    assert neutralise("江门激光研究院") == "江门激光研究院"
    assert neutralise("a=b") == "a=b"


def test_to_csv_neutralises_every_cell_and_keeps_rfc_4180_line_ends():
    body = to_csv([{"name": "=1+1", "value": "-12.5"}], ("name", "value")).decode()
    assert body == "name,value\r\n'=1+1,-12.5\r\n"


@given(st.text(max_size=40))
def test_no_cell_written_can_start_a_formula_unless_it_is_a_plain_number(text):
    body = to_csv([{"c": text}], ("c",)).decode()
    [_, [cell]] = list(csv.reader(io.StringIO(body, newline="")))
    if cell.startswith(TRIGGERS):
        float(cell)  # only a plain number may start with a sign

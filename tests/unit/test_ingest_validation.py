"""Validation of a whole file before anything is applied: headers, ragged rows, duplicates,
units, and each row through the owning service's own rules, every error with row, column,
value and reason."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ingest_files import LIST_HEADER, csv_bytes, enterprise_list, xlsx_bytes
from services.ingest.kinds import kinds
from services.ingest.validate import validate

TODAY = date(2026, 12, 2)
SAMPLES = Path(__file__).parents[2] / "samples"
REGIONAL = ("地区", "年份", "指标", "数值", "单位", "来源", "报告日期")


def errors(kind: str, content: bytes) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in validate(kinds()[kind], content, TODAY).errors]


@pytest.mark.parametrize("kind", ["enterprise_list", "enterprise_statistics", "regional_statistics",
                                  "platform_list", "finance_records", "talent_recognitions"])
def test_the_shipped_sample_of_each_kind_is_valid(kind):
    outcome = validate(kinds()[kind], (SAMPLES / f"{kind}.csv").read_bytes(), TODAY)
    assert outcome.errors == [] and len(outcome.rows) >= 3 and outcome.digest


def test_an_enterprise_list_with_bad_rows_names_exactly_those_rows_and_columns():
    rows = enterprise_list(date(2023, 12, 28), 31_000_001)
    rows[1][0] = rows[1][0][:17] + ("0" if rows[1][0][17] != "0" else "1")  # bad check character
    rows[3][2] = "新城区"  # unknown district
    rows[4][7] = "2023-02-30"  # impossible date
    rows[6][0] = rows[5][0]  # the same credit code twice
    found = errors("enterprise_list", csv_bytes(LIST_HEADER, rows))
    assert [(r, c) for r, c, _ in found] == [(2, "统一社会信用代码"), (4, "所属区县"), (5, "发证日期"),
                                             (7, "统一社会信用代码")]
    assert "check character" in found[0][2] and "unknown district" in found[1][2]
    assert "not a date" in found[2][2] and found[3][2] == "same 统一社会信用代码 as row 6"


def test_the_same_table_as_xlsx_and_as_gb18030_csv_has_one_digest():
    rows = enterprise_list(date(2023, 12, 28), 31_000_001)
    as_csv = validate(kinds()["enterprise_list"], csv_bytes(LIST_HEADER, rows, "gb18030"), TODAY)
    as_xlsx = validate(kinds()["enterprise_list"], xlsx_bytes(LIST_HEADER, rows), TODAY, sheet="企业名单")
    assert (as_csv.format, as_xlsx.format) == ("csv-gb18030", "xlsx")
    assert as_csv.errors == as_xlsx.errors == []
    assert as_csv.digest == as_xlsx.digest and as_csv.rows == as_xlsx.rows


def test_the_issue_findings_are_refused_at_validation_with_the_owner_rules():
    rows = [["440703", "2026", "gdp", "1", "万元", "s", "2026-11-01"],
            ["440703", "2022", "gdp", "0.00001", "万元", "s", "2023-06-30"],
            ["440704", "2022", "gdp", "12345678901234567", "万元", "s", "2023-06-30"],
            ["440705", "2022", "gdp", "1", "万元", "s", "2022-12-30"],
            ["440781", "2022", "gdp", "1", "万元", "s", "9999-12-31"]]
    found = errors("regional_statistics", csv_bytes(REGIONAL, rows))
    assert [(r, c) for r, c, _ in found] == [(1, "年份"), (2, "数值"), (3, "数值"), (4, "报告日期"), (5, "报告日期")]
    assert "outside 1978..2025" in found[0][2]
    assert "before the end of 2022" in found[3][2]


def test_duplicated_unknown_and_missing_headers_are_file_errors():
    header = ("地区", "年份", "指标", "数值", "地区", "备注")
    found = errors("regional_statistics", csv_bytes(header, [["440703", "2022", "gdp", "1", "440704", "x"]]))
    assert [(r, c) for r, c, _ in found] == [(0, "地区"), (0, "备注")]
    assert "duplicated" in found[0][2] and "unknown column" in found[1][2]
    missing = errors("regional_statistics", csv_bytes(("地区", "年份"), [["440703", "2022"]]))
    assert [c for _, c, _ in missing] == ["指标", "数值"]


def test_ragged_rows_are_reported_with_their_cell_count():
    content = csv_bytes(REGIONAL, [["440703", "2022", "gdp", "1", "万元", "s", "2023-06-30", "extra"],
                                   ["440704", "2022", "gdp"]])
    assert errors("regional_statistics", content) == [(1, "", "8 cells; the header has 7"),
                                                      (2, "", "3 cells; the header has 7")]


def test_amounts_in_yuan_wan_or_yi_are_converted_exactly_to_the_owner_units():
    stats = validate(kinds()["enterprise_statistics"], csv_bytes(
        ("统一社会信用代码", "年份", "营业收入", "研发费用", "从业人员", "研发人员", "单位"),
        [["914407033100000140", "2023", "1.25", "0.0003", "10", "2", "亿元"]]), TODAY)
    assert b'"revenue": 12500000000' in stats.rows[0][1] and b'"rd_expenditure": 3000000' in stats.rows[0][1]
    fen = errors("enterprise_statistics", csv_bytes(
        ("统一社会信用代码", "年份", "营业收入（元）", "研发费用（元）", "从业人员", "研发人员"),
        [["914407033100000140", "2023", "100.005", "1", "10", "2"]]))
    assert fen == [(1, "营业收入（元）", "'100.005' 元 is not a whole number of fen")]
    regional = validate(kinds()["regional_statistics"], csv_bytes(
        REGIONAL, [["江门市", "2022", "地区生产总值", "3793.9", "亿元", "年鉴", "2023-06-30"]]), TODAY)
    assert b'"value": "37939000"' in regional.rows[0][1] and b'"territory": "440700"' in regional.rows[0][1]


def test_the_owner_refusal_of_a_statistics_row_names_its_column():
    found = errors("enterprise_statistics", csv_bytes(
        ("统一社会信用代码", "年份", "营业收入", "研发费用", "从业人员", "研发人员"),
        [["914407033100000140", "2023", "1", "1", "10", "20"]]))
    assert found == [(1, "研发人员", "20 R&D staff exceed the 10 employees")]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_rows_or_errors_never_an_exception(content):
    outcome = validate(kinds()["regional_statistics"], content, TODAY)
    assert bool(outcome.rows) != bool(outcome.error_count)
    assert all(len(e.value) <= 80 and len(e.column) <= 64 for e in outcome.errors)


def test_json_lines_with_numbers_validate_like_the_same_csv():
    lines = ['{"territory": "440703", "year": 2022, "measure": "gdp", "value": 1002.36, "unit": "亿元", '
             '"source": "年鉴", "reported_on": "2023-06-30"}',
             '{"territory": "江海区", "year": 2022, "measure": "研发经费支出", "value": 312045.6, "unit": "万元", '
             '"source": "年鉴", "reported_on": "2023-06-30"}']
    as_jsonl = validate(kinds()["regional_statistics"], "\n".join(lines).encode(), TODAY)
    as_csv = validate(kinds()["regional_statistics"], csv_bytes(
        ("territory", "year", "measure", "value", "unit", "source", "reported_on"),
        [["440703", "2022", "gdp", "1002.36", "亿元", "年鉴", "2023-06-30"],
         ["440704", "2022", "rd_expenditure", "312045.6", "万元", "年鉴", "2023-06-30"]]), TODAY)
    assert as_jsonl.format == "jsonl" and as_jsonl.errors == []
    assert as_jsonl.digest == as_csv.digest


def test_title_rows_above_the_header_are_skipped_and_rows_counted_from_the_header():
    rows = enterprise_list(date(2023, 12, 28), 31_000_001, count=3)
    rows[2][2] = "新城区"
    titled = xlsx_bytes(LIST_HEADER, rows, sheet="名单")

    book = load_workbook(io.BytesIO(titled))
    book["名单"].insert_rows(1, 2)
    book["名单"]["A1"] = "2023年江门市第一批高新技术企业名单"
    book["名单"]["A2"] = "填报单位：江门市科学技术局"
    out = io.BytesIO()
    book.save(out)
    outcome = validate(kinds()["enterprise_list"], out.getvalue(), TODAY, sheet="名单")
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "所属区县")]
    untitled = validate(kinds()["enterprise_list"], csv_bytes(("名单",), [["x"]]), TODAY)
    assert [(e.row, e.column) for e in untitled.errors][:1] == [(0, "名单")]

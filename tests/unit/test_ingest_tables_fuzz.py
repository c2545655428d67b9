"""A fuzzer on the ingest parser: any bytes give rows within bounds or a TableError naming
rows and columns, never another exception (issue 7: one yearbook row must not halt ingest)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.tables import REGIONAL_COLUMNS, TableError, parse_regional_statistics

HEADER = ",".join(REGIONAL_COLUMNS)
CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["440703", "440700", "2022", "gdp", "rd_expenditure", "CNY_10K", "1E+1000000",
                     "1e400", "-1", "NaN", "Infinity", "1,234.5", "9" * 5000, "2023-06-30",
                     "20230630", "9999-12-31", "\u200b", "\x00", "=1+1", '"', "\r\n"]),
)


def parsed(content: bytes) -> list:
    try:
        return parse_regional_statistics(content, "yearbook")
    except TableError as exc:
        assert exc.errors and all(len(e.column) <= 40 for e in exc.errors)
        assert len(str(exc)) < 20 * 200 + 100  # twenty errors shown, each short
        return []


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_any_bytes_give_rows_or_a_table_error(content):
    parsed(content)


@settings(max_examples=300)
@given(st.lists(st.lists(CELL, min_size=7, max_size=7), min_size=1, max_size=5))
def test_any_cells_give_bounded_rows_or_a_table_error(rows):
    lines = [HEADER] + [",".join(cells) for cells in rows]
    for row in parsed("\n".join(lines).encode("utf-8", "surrogatepass")):
        assert len(row.value) <= 21 and len(row.source) <= 300
        assert len(row.reported_on) in (0, 10)

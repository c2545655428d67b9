import pytest

from services.ingest.tables import TableError, parse_regional_statistics

HEADER = "territory,year,measure,value,unit,source,reported_on\n"


def table(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_a_valid_table_gives_one_row_per_line_with_exact_values():
    rows = parse_regional_statistics(table(
        "440703,2023,gdp,\"12,345,678.90\",CNY_10K,yearbook 2024,2024-06-30",
        "440700,2023,rd_expenditure,101234.5,CNY_10K,,"), default_source="batch source")
    assert [(r.territory, r.year, r.measure, r.value) for r in rows] == [
        ("440703", 2023, "gdp", "12345678.90"), ("440700", 2023, "rd_expenditure", "101234.5")]
    assert rows[1].source == "batch source"


def test_every_bad_row_is_reported_at_once_with_row_and_column():
    with pytest.raises(TableError) as caught:
        parse_regional_statistics(table(
            "440799,2023,gdp,1,CNY_10K,s,",
            "440703,20x3,gdp,1,CNY_10K,s,",
            "440703,2023,gpd,-1,CNY,s,30/06/2024"), default_source="")
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(1, "territory"), (2, "year"), (3, "measure"), (3, "value"), (3, "unit"),
                     (3, "reported_on")}


def test_the_same_figure_twice_in_one_table_is_refused():
    with pytest.raises(TableError) as caught:
        parse_regional_statistics(table("440703,2023,gdp,1,,s,", "440703,2023,gdp,2,,s,"), "")
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "measure")]


def test_missing_and_unknown_columns_are_named():
    with pytest.raises(TableError) as caught:
        parse_regional_statistics(b"territory,year,amount\n440703,2023,1\n", "s")
    assert {(e.row, e.column) for e in caught.value.errors} == {
        (0, "measure"), (0, "value"), (0, "amount")}


def test_a_table_that_is_not_utf8_is_refused():
    with pytest.raises(TableError, match="not UTF-8"):
        parse_regional_statistics(HEADER.encode() + "440703,2023,gdp,1,,统计,".encode("gbk"), "")

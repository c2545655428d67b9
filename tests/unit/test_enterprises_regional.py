"""Regional statistics as pure functions: validation, revisions, repeated batches."""
from __future__ import annotations

from datetime import date

import pytest

from services.enterprises import regional
from yinling.errors import ValidationError
from yinling.v1.enterprises_pb2 import RegionalStatistic, ReportRegionalStatisticRequest

TODAY = date(2024, 6, 30)


def request(reason: str = "", **values: object) -> ReportRegionalStatisticRequest:
    base = dict(territory="440703", year=2023, measure="gdp", value="123456.78",
                source="江门统计年鉴2024, table 3-1", reported_on="2024-03-15")
    return ReportRegionalStatisticRequest(statistic=RegionalStatistic(**(base | values)), reason=reason)


def test_first_report_is_revision_one_in_ten_thousand_yuan() -> None:
    out = regional.report(None, request(), TODAY)
    assert out is not None and out.change == "reported"
    assert (out.statistic.revision, out.statistic.version, out.statistic.unit) == (1, 1, "CNY_10K")
    assert regional.key_of(out.statistic) == "440703/2023/gdp"


def test_revision_replaces_the_figure_and_needs_a_reason() -> None:
    first = regional.report(None, request(), TODAY)
    assert first is not None
    with pytest.raises(ValidationError) as caught:
        regional.report(first.statistic, request(value="123500.00", reported_on="2024-05-01"), TODAY)
    assert caught.value.field == "reason"
    second = regional.report(first.statistic, request("yearbook correction", value="123500.00",
                                                      reported_on="2024-05-01"), TODAY)
    assert second is not None
    assert (second.change, second.statistic.revision, second.statistic.value) == ("revised", 2, "123500.00")


def test_the_same_figure_again_changes_nothing() -> None:
    first = regional.report(None, request(), TODAY)
    assert first is not None
    assert regional.report(first.statistic, request(), TODAY) is None


def test_revision_cannot_be_dated_before_the_figure_it_replaces() -> None:
    first = regional.report(None, request(), TODAY)
    assert first is not None
    with pytest.raises(ValidationError) as caught:
        regional.report(first.statistic, request("r", value="1.0", reported_on="2024-03-01"), TODAY)
    assert caught.value.field == "statistic.reported_on"


def test_city_as_a_whole_is_a_territory() -> None:
    assert regional.report(None, request(territory="440700", measure="rd_expenditure"), TODAY) is not None


@pytest.mark.parametrize("values, field", [
    ({"territory": "440100"}, "statistic.territory"), ({"measure": "population"}, "statistic.measure"),
    ({"value": "-5"}, "statistic.value"), ({"value": "1e6"}, "statistic.value"),
    ({"value": "12.345678"}, "statistic.value"), ({"value": ""}, "statistic.value"),
    ({"unit": "CNY"}, "statistic.unit"), ({"source": " "}, "statistic.source"),
    ({"year": 2024}, "statistic.year"), ({"reported_on": "2023-12-31"}, "statistic.reported_on"),
    ({"reported_on": "2024-07-01"}, "statistic.reported_on"),
])
def test_bad_figures_are_rejected_naming_the_field(values: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        regional.report(None, request(**values), TODAY)
    assert caught.value.field == field

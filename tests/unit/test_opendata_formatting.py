"""Pure shaping of the open-data feed: public projection, CSV, ETags, parameters."""
from __future__ import annotations

import csv
import io

import pytest

from services.opendata import params
from services.opendata.changes import next_link
from services.opendata.errors import FeedError
from services.opendata.formatting import (
    CHANGE_COLUMNS,
    INDICATOR_COLUMNS,
    PLATFORM_COLUMNS,
    accredited_since,
    change_row,
    etag_matches,
    etag_of,
    indicator_row,
    is_public_platform,
    platform_public,
)
from yinling.csv_export import to_csv
from yinling.v1 import indicators_pb2 as ipb
from yinling.v1 import platforms_pb2 as ppb


def _period(level: int, start: str, until: str = "") -> ppb.AccreditationPeriod:
    period = ppb.AccreditationPeriod(level=level, until=until)
    setattr(period, "from", start)
    return period


def _platform(**overrides: object) -> ppb.Platform:
    fields = dict(id="plt-1", name="江门智能制造工程中心", kind="engineering_technology_research_centre",
                  level=ppb.PLATFORM_LEVEL_PROVINCIAL, status=ppb.PLATFORM_STATUS_ACCREDITED,
                  host_organisation="五邑大学", host_credit_code="12440700455870443X",
                  district="440703", industry_cluster="smart_manufacturing",
                  registered_on="2021-05-01", version=7, updated_at="2024-01-01T00:00:00Z")
    fields.update(overrides)
    platform = ppb.Platform(**fields)  # type: ignore[arg-type]
    platform.periods.extend([_period(3, "2022-03-01", "2023-06-01"), _period(2, "2023-06-01")])
    platform.evaluations.add(year=2023, grade="fail", evaluated_on="2024-02-01")
    return platform


def test_public_projection_keeps_exactly_the_public_fields():
    row = platform_public(_platform())
    assert tuple(row) == PLATFORM_COLUMNS
    assert row["level"] == "provincial" and row["status"] == "accredited"


def test_public_projection_drops_credit_code_evaluations_and_versions():
    text = repr(platform_public(_platform()))
    for secret in ("12440700455870443X", "fail", "2021-05-01", "2024-01-01T00:00:00Z"):
        assert secret not in text


def test_accredited_since_follows_level_changes_back_to_the_first_period():
    assert accredited_since(_platform().periods) == "2022-03-01"


def test_accredited_since_starts_again_after_a_gap():
    periods = [_period(2, "2020-01-01", "2021-01-01"), _period(2, "2022-07-01")]
    assert accredited_since(periods) == "2022-07-01"


def test_revoked_platform_has_no_accredited_since_and_is_not_public():
    revoked = _platform(status=ppb.PLATFORM_STATUS_REVOKED)
    del revoked.periods[:]
    revoked.periods.extend([_period(2, "2022-03-01", "2024-03-01")])
    assert accredited_since(revoked.periods) == ""
    assert not is_public_platform(revoked)
    assert not is_public_platform(_platform(status=ppb.PLATFORM_STATUS_UNDER_CONSTRUCTION))


def test_csv_has_a_header_row_and_utf8_rows():
    body = to_csv([platform_public(_platform())], PLATFORM_COLUMNS)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == list(PLATFORM_COLUMNS)
    assert rows[1][1] == "江门智能制造工程中心"
    assert len(rows) == 2


def test_indicator_row_names_status_and_keeps_exact_decimals():
    value = ipb.IndicatorValue(indicator_id="rd_intensity", territory="440700", value="3.10",
                               target="3.3", expected="3.2", progress=0.939393939,
                               status=ipb.INDICATOR_STATUS_BEHIND, unit="%", period="2023")
    row = indicator_row(value)
    assert set(row) == set(INDICATOR_COLUMNS)
    assert (row["value"], row["status"], row["progress"]) == ("3.10", "behind", 0.939394)


def test_etag_changes_with_the_body_and_matches_lists_and_weak_tags():
    tag = etag_of(b"a")
    assert tag != etag_of(b"b") and tag == etag_of(b"a")
    assert etag_matches(f'"x", W/{tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches('"other"', tag) and not etag_matches(None, tag)


@pytest.mark.parametrize("call, field", [
    (lambda: params.territory("440799"), "territory"),
    (lambda: params.as_of("2024-13-01"), "as_of"),
    (lambda: params.series("last-year"), "series"),
    (lambda: params.district("440700"), "district"),
    (lambda: params.level("galactic"), "level"),
    (lambda: params.code("DROP TABLE", "kind"), "kind"),
    (lambda: params.limit("0"), "limit"),
    (lambda: params.limit("501"), "limit"),
    (lambda: params.limit("5001", 5000), "limit"),
    (lambda: params.cursor("-3"), "after"),
    (lambda: params.cursor(str(2**63)), "after"),
    (lambda: params.codes(["rd_intensity", "Bad"], "indicator"), "indicator"),
    (lambda: params.territories(["440700", "110000"]), "territory"),
])
def test_bad_parameters_name_the_field(call, field):
    with pytest.raises(FeedError) as caught:
        call()
    assert caught.value.status == 400 and caught.value.field == field


def test_good_parameters_pass_through():
    assert params.territory("440700") == "440700"
    assert params.as_of("2024-12-31") == "2024-12-31"
    assert params.series(None) == "now"
    assert params.level("national") == ppb.PLATFORM_LEVEL_NATIONAL
    assert params.limit("20") == 20
    assert params.limit("5000", 5000) == 5000 and params.limit(None, 5000) == 0
    assert params.cursor(None) == 0 and params.cursor("42") == 42
    assert params.codes(["rd_intensity", ""], "indicator") == ["rd_intensity"]


def test_change_row_names_the_series_and_status_and_hides_the_cause():
    change = ipb.IndicatorChanged(
        cursor=9, previous_value="", cause_event_id="evt-secret", series="2023-12-31",
        value=ipb.IndicatorValue(plan_id="p", indicator_id="rd_intensity", territory="440700",
                                 as_of="2023-12-31", value="2.10", unit="%",
                                 status=ipb.INDICATOR_STATUS_BEHIND, computed_at="2024-01-02T03:04:05Z"))
    row = change_row(change)
    assert tuple(row) == CHANGE_COLUMNS
    assert (row["cursor"], row["series"], row["value"], row["previous_value"], row["status"]) == (
        9, "2023-12-31", "2.10", "", "behind")
    assert "evt-secret" not in repr(row)


def test_next_link_repeats_the_filters_with_the_new_cursor():
    assert next_link("http://f", "/api/v1/indicator-changes.csv", 12, 0, ["a_b", "c"], ["440703"]) == (
        "http://f/api/v1/indicator-changes.csv?after=12&indicator=a_b&indicator=c&territory=440703")
    assert next_link("http://f", "/x", 0, 2, [], []) == "http://f/x?after=0&limit=2"

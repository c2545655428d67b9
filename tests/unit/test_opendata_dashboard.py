"""The page's series over time from the indicator history, worked out by hand."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from services.opendata.dashboard import Point, last_updated, load_facts, series_points
from yinling.v1 import indicators_pb2 as ipb

FACTS = load_facts(Path(__file__).resolve().parents[2] / "plans/jiangmen-2022-2024.yaml")


def _change(cursor: int, as_of: str, value: str, suppressed: bool = False) -> ipb.IndicatorChanged:
    return ipb.IndicatorChanged(cursor=cursor, value=ipb.IndicatorValue(
        as_of=as_of, value=value, suppressed=suppressed))


class History:
    """The feed's backend as far as the page's history reads go."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.series = {
            "2022-12-31": [_change(1, "2022-12-31", "10"), _change(5, "2022-12-31", "12")],
            "2023-12-31": [_change(2, "2023-12-31", "", suppressed=True)],
            "2024-12-31": [_change(3, "2024-12-31", "30")],
            "now": [_change(4, "2024-03-01", "20"), _change(6, "2024-03-01", "21"),
                    _change(7, "2024-03-02", "22"), _change(8, "2024-12-31", "29")],
        }

    def indicator_history(self, indicator_id: str, territory: str, series: str):
        self.asked.append(series)
        return self.series[series]

    def latest_change(self):
        return ipb.LatestChangeResponse(cursor=7, recorded_at="2024-12-31T16:30:00Z")


def test_each_year_end_gives_its_latest_revision_and_now_its_latest_value_of_each_day():
    # 2024-12-31: the year end's revision (30, late reports counted) wins over that day's "now"
    backend = History()
    points = series_points(backend, FACTS, "high_tech_enterprises", "440700", date(2026, 1, 1))  # type: ignore[arg-type]
    assert points == [Point("2022-12-31", "12", False), Point("2023-12-31", "", True),
                      Point("2024-03-01", "21", False), Point("2024-03-02", "22", False),
                      Point("2024-12-31", "30", False)]


def test_year_ends_still_ahead_are_not_asked_for():
    backend = History()
    series_points(backend, FACTS, "high_tech_enterprises", "440700", date(2023, 6, 30))  # type: ignore[arg-type]
    assert backend.asked == ["now", "2022-12-31"]


def test_last_updated_is_the_newest_change_in_the_feeds_time_zone():
    moment = last_updated(History(), "Asia/Shanghai")  # type: ignore[arg-type]
    assert moment is not None and moment.isoformat() == "2025-01-01T00:30:00+08:00"
    assert moment == datetime(2024, 12, 31, 16, 30, tzinfo=UTC)

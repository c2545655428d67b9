"""Status against the straight path from baseline (plan start) to target (target date)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.indicators.evaluate import Measured
from services.indicators.status import expected_at, indicator_value, status_of
from yinling.plan import load_plan
from yinling.v1 import indicators_pb2 as pb

PLAN = load_plan(Path(__file__).parents[2] / "plans" / "jiangmen-2022-2024.yaml")
TOL = Decimal("0.05")


def test_expected_follows_the_straight_line_and_is_clamped() -> None:
    # 2022-01-01 .. 2024-12-31 is 1095 days; 2023-07-02 is day 547: 0 + 1095 * 547/1095 = 547.
    assert expected_at(PLAN, Decimal(0), Decimal(1095), date(2024, 12, 31), date(2023, 7, 2)) == 547
    # From baseline 100: 100 + (1195 - 100) * 547/1095 = 647.
    assert expected_at(PLAN, Decimal(100), Decimal(1195), date(2024, 12, 31), date(2023, 7, 2)) == 647
    assert expected_at(PLAN, Decimal(100), Decimal(1195), date(2024, 12, 31), date(2021, 6, 1)) == 100
    assert expected_at(PLAN, Decimal(100), Decimal(1195), date(2024, 12, 31), date(2026, 1, 1)) == 1195


@pytest.mark.parametrize(("value", "status"), [
    ("575", pb.INDICATOR_STATUS_AHEAD),      # > 547 * 1.05 = 574.35
    ("574", pb.INDICATOR_STATUS_ON_TRACK),
    ("520", pb.INDICATOR_STATUS_ON_TRACK),   # >= 547 * 0.95 = 519.65
    ("519", pb.INDICATOR_STATUS_BEHIND),
])
def test_status_compares_with_the_tolerance_band(value: str, status: int) -> None:
    assert status_of(Decimal(value), Decimal(547), TOL) == status


def test_a_full_value_reports_expected_progress_and_status() -> None:
    indicator = PLAN.indicator("talent_teams")   # baseline 0, target 70 on 2024-12-31
    # Day 547 of 1095: expected 70 * 547 / 1095 = 34.968.. -> 34.97; 36 is within 5 % -> on track.
    v = indicator_value(PLAN, indicator, "440700", date(2023, 7, 2), Measured(Decimal(36)),
                        Measured(None), "2023-07-02T00:00:00Z")
    assert (v.value, v.expected, v.target, v.baseline) == ("36", "34.97", "70", "0")
    assert v.status == pb.INDICATOR_STATUS_ON_TRACK
    assert v.progress == pytest.approx(36 / 70)
    assert v.period == "2022-01-01/2023-07-02"

"""Every indicator of the plan over the worked example, values worked out by hand.

The world is services/indicators/worked_example.py. Territories not listed expect 0
("" for a ratio that cannot be computed). D22/D23/D24 are the plan's year ends.
"""
from __future__ import annotations

from datetime import date

import pytest

from services.indicators.reader import compute_from_snapshots
from services.indicators.worked_example import world
from tests.plans import plan_for_counting
from yinling.territory import CITY, DISTRICTS
from yinling.v1 import indicators_pb2 as pb

PLAN = plan_for_counting()   # hand-worked values of a few records: nothing withheld
D22, D23, D24 = date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31)
BASE = date(2021, 12, 31)
PJ, JH, XH, TS, KP, HS, EP = "440703", "440704", "440705", "440781", "440783", "440784", "440785"

# (indicator, day, {territory: value}); territories left out expect zero.
EXPECTED: list[tuple[str, date, dict[str, str]]] = [
    # E1 expired on its boundary (2021-12-31 + 3y, exclusive); E2 renewed that day (PJ);
    # E3 moved to XH on 2023-07-01; E4 revoked 2024-05-01 -> 2 = E2 + E3.
    ("high_tech_enterprises", D24, {CITY: "2", PJ: "1", XH: "1"}),
    # E1, E2 (PJ), E3 (XH since July), E4 (TS, revoked later) -> 4.
    ("high_tech_enterprises", D23, {CITY: "4", PJ: "2", XH: "1", TS: "1"}),
    # Before the move E3 counts in JH; city-wide it is still one enterprise.
    ("high_tech_enterprises", date(2023, 6, 30), {CITY: "4", PJ: "2", JH: "1", TS: "1"}),
    ("high_tech_enterprises", date(2024, 12, 30), {CITY: "3", PJ: "2", XH: "1"}),
    ("high_tech_enterprises", BASE, {CITY: "2", PJ: "2"}),   # E1 + E2 issued that day
    # 2024 register: E1 (PJ), E3 (XH); E5 revoked 2024-09-01; E3's 2023 entry ended 2024-01-01.
    ("tech_smes", D24, {CITY: "2", PJ: "1", XH: "1"}),
    ("tech_smes", D23, {CITY: "1", XH: "1"}),
    ("tech_smes", date(2024, 7, 1), {CITY: "3", PJ: "1", XH: "1", KP: "1"}),
    # P1 (PJ) + P3 re-accredited 2024-02-01 (XH) + P6 GBA lab (PJ); P2 downgraded; zones excluded.
    ("provincial_platforms", D24, {CITY: "3", PJ: "2", XH: "1"}),
    ("provincial_platforms", D23, {CITY: "2", PJ: "2"}),             # P3 revoked 2023-06-01
    ("provincial_platforms", D22, {CITY: "3", PJ: "1", JH: "1", XH: "1"}),   # P1, P2, P3
    # T1 (left 2023, still brought in) + T3 (hosted by E3, now XH); T2 predates the plan.
    ("talent_teams", D24, {CITY: "2", PJ: "1", XH: "1"}),
    ("talent_teams", D22, {CITY: "1", PJ: "1"}),
    # E2 named 2024-03-01 and holds an HTE; E4's HTE was revoked so its title stops counting.
    ("innovation_model_hte", D24, {CITY: "1", PJ: "1"}),
    ("innovation_model_hte", D23, {CITY: "1", TS: "1"}),
    ("provincial_specialised_smes", D24, {CITY: "2", XH: "1", KP: "1"}),   # E3 + E5
    ("provincial_specialised_smes", D22, {CITY: "1", KP: "1"}),
    ("little_giants", D24, {CITY: "1", PJ: "1"}),
    ("little_giants", BASE, {}),
    # One person (S4) placed twice: once in each district, once city-wide. The 2022 placement
    # at E3 stays in 江海 (where E3 was that day) after E3 moved to 新会 (在地统计).
    ("phd_commissioners", D24, {CITY: "1", PJ: "1", JH: "1"}),
    ("phd_commissioners", D22, {CITY: "1", JH: "1"}),                 # E3 still in JH
    ("iur_centres", D24, {CITY: "1", HS: "1"}),                        # P7 revoked 2024-06-30
    ("iur_centres", D23, {CITY: "2", HS: "1", EP: "1"}),
    ("gba_joint_labs", D24, {CITY: "1", PJ: "1"}),
    ("gba_joint_labs", D22, {}),
    ("scientist_teams", D24, {CITY: "1", JH: "1"}),
    ("scientist_teams", D23, {}),
    ("leading_talents", D24, {CITY: "1", HS: "1"}),                    # T7 left 2024-03-01
    # Stock: T8 (EP) + T9 young talent (PJ); T7 left.
    ("high_level_talents", D24, {CITY: "2", PJ: "1", EP: "1"}),
    ("high_level_talents", D23, {CITY: "3", PJ: "1", HS: "1", EP: "1"}),
    # E1 (two loans, one beneficiary) + E3 (subsidy, now XH); F4 withdrawn; F5 predates.
    ("finance_beneficiaries", D24, {CITY: "2", PJ: "1", XH: "1"}),
    ("finance_beneficiaries", date(2022, 6, 30), {CITY: "2", PJ: "1", TS: "1"}),
    ("finance_beneficiaries", D22, {CITY: "1", PJ: "1"}),
    # F1 + F2 = 500,000,000 + 123,456,789 fen = 6,234,567.89 CNY.
    ("finance_credit", D24, {CITY: "6234567.89", PJ: "6234567.89"}),
    # F1 + F4 (withdrawn only on 2022-12-01) = 700,000,000 fen.
    ("finance_credit", date(2022, 6, 30), {CITY: "7000000.00", PJ: "5000000.00", TS: "2000000.00"}),
    # L1: E2 listed 2024-06-18 holding an HTE; L2: E1 listed the day its HTE expired; L3: no HTE.
    ("new_listed_hte", D24, {CITY: "1", PJ: "1"}),
    # P4 national zone (JH), P8 provincial sub-park (XH); P9 (TS) revoked 2023-12-01.
    ("hitech_zone_coverage", D24, {CITY: "2", JH: "1", XH: "1"}),
    ("hitech_zone_coverage", D22, {CITY: "3", JH: "1", XH: "1", TS: "1"}),
    ("hitech_zone_coverage", BASE, {CITY: "2", JH: "1", TS: "1"}),
]


def _zero(indicator_id: str) -> str:
    return "0.00" if indicator_id == "finance_credit" else "0"


@pytest.mark.parametrize(("indicator_id", "day", "expected"), EXPECTED,
                         ids=[f"{i}@{d}" for i, d, _ in EXPECTED])
def test_indicator_matches_the_hand_worked_value(indicator_id: str, day: date,
                                                 expected: dict[str, str]) -> None:
    snapshots = world()
    for territory in (CITY, *DISTRICTS):
        value = compute_from_snapshots(PLAN, snapshots, territory, day, indicator_id)
        assert value.value == expected.get(territory, _zero(indicator_id)), territory


def test_every_plan_indicator_is_worked_out() -> None:
    assert {i for i, _, _ in EXPECTED} | {"rd_intensity"} == {i.id for i in PLAN.indicators}


def test_rd_intensity_uses_the_revised_figure_and_the_latest_reported_year() -> None:
    # 2024 not reported: 2023 city figures, revision 2: 120,000 / 4,000,000 * 100 = 3.00.
    city = compute_from_snapshots(PLAN, world(), CITY, D24, "rd_intensity")
    assert (city.value, city.period) == ("3.00", "2023")
    assert "2024 not reported yet" in city.note
    # 蓬江 2023: 30,000 / 1,000,000 * 100 = 3.00; 2022: 100,000 / 3,800,000 * 100 = 2.6315.. -> 2.63.
    assert compute_from_snapshots(PLAN, world(), PJ, D24, "rd_intensity").value == "3.00"
    assert compute_from_snapshots(PLAN, world(), CITY, D22, "rd_intensity").value == "2.63"


def test_rd_intensity_without_statistics_is_empty_with_a_note() -> None:
    value = compute_from_snapshots(PLAN, world(), JH, D24, "rd_intensity")
    assert value.value == ""
    assert "no rd_expenditure" in value.note
    assert value.status == pb.INDICATOR_STATUS_NO_TARGET
    city = compute_from_snapshots(PLAN, [], CITY, D24, "rd_intensity")
    assert (city.value, city.target) == ("", "3.3")
    assert city.status == pb.INDICATOR_STATUS_UNSPECIFIED   # no value: no status to claim


def test_city_status_is_measured_against_the_straight_path() -> None:
    # Baseline measured on 2021-12-31 = 2; target 2600 on 2024-12-31: expected 2600, value 2.
    value = compute_from_snapshots(PLAN, world(), CITY, D24, "high_tech_enterprises")
    assert (value.baseline, value.target, value.expected) == ("2", "2600", "2600.00")
    assert value.status == pb.INDICATOR_STATUS_BEHIND
    assert value.progress == pytest.approx(2 / 2600)


def test_districts_have_no_target_when_the_plan_gives_none() -> None:
    value = compute_from_snapshots(PLAN, world(), PJ, D24, "high_tech_enterprises")
    assert value.status == pb.INDICATOR_STATUS_NO_TARGET
    assert value.target == "" and value.progress == 0


def test_targets_stated_as_ranges_carry_a_note() -> None:
    labs = compute_from_snapshots(PLAN, world(), CITY, D24, "gba_joint_labs")
    money = compute_from_snapshots(PLAN, world(), CITY, D24, "finance_beneficiaries")
    assert labs.target == "2" and "1-2" in labs.note
    assert money.target == "300" and "more than 300" in money.note


def test_city_ratio_sums_the_seven_districts_when_the_city_figure_is_missing() -> None:
    from services.indicators.samples import statistic
    figures = [s for d in DISTRICTS for s in (statistic(d, 2021, "gdp", "100"),
                                              statistic(d, 2021, "rd_expenditure", "3"))]
    # (7 * 3) / (7 * 100) * 100 = 3.00
    assert compute_from_snapshots(PLAN, figures, CITY, D22, "rd_intensity").value == "3.00"
    # One district missing: neither a city figure nor a complete sum -> unavailable.
    assert compute_from_snapshots(PLAN, figures[2:], CITY, D22, "rd_intensity").value == ""

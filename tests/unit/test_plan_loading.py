"""Plans are data: the real plan loads; a malformed one is refused with file, line and reason."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.indicators.reader import compute_from_snapshots
from services.indicators.worked_example import world
from yinling.plan import PlanError, active_plan, load_plan, load_plans

PLANS = Path(__file__).parents[2] / "plans"
SOURCE = (PLANS / "jiangmen-2022-2024.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_plan_names_all_eighteen_indicators_with_2024_city_targets() -> None:
    plan = load_plan(PLANS / "jiangmen-2022-2024.yaml")
    assert len(plan.indicators) == 18
    assert plan.period.start == date(2022, 1, 1) and plan.series[-1] == date(2024, 12, 31)
    assert plan.indicator("high_tech_enterprises").target_for("440700", date(2023, 1, 1)).value == 2600
    assert plan.indicator("rd_intensity").target_for("440700", date(2024, 12, 31)).value == Decimal("3.3")
    assert plan.indicator("high_tech_enterprises").target_for("440703", date(2024, 1, 1)) is None
    assert plan.series_names() == ["now", "2022-12-31", "2023-12-31", "2024-12-31"]


def test_a_misspelt_kind_is_refused_naming_the_line_and_the_choices(tmp_path: Path) -> None:
    lines = SOURCE.splitlines()
    line = next(n for n, text in enumerate(lines) if text.strip() == "kind: stock")   # 2nd indicator
    lines[line] = lines[line].replace("stock", "stok")
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(PlanError) as refused:
        load_plan(path)
    assert str(refused.value) == (f"{path}:{line + 1}: indicators[1].kind: 'stok' is not one of "
                                  "stock, per_year, cumulative, ratio, coverage")


def test_an_unknown_field_is_refused_with_its_line(tmp_path: Path) -> None:
    text = SOURCE.replace("      measure: sum\n", "      measure: sum\n      colour: red\n")
    line = text.splitlines().index("      colour: red") + 1
    with pytest.raises(PlanError, match=rf"x.yaml:{line}: indicators\[15\].counts.colour: Extra inputs"):
        load_plan(_write(tmp_path, text))


def test_a_target_for_a_territory_outside_the_city_is_refused(tmp_path: Path) -> None:
    text = SOURCE.replace('targets: [{date: 2024-12-31, value: "20"}]',
                          'targets: [{date: 2024-12-31, value: "20", territory: "110000"}]')
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"110000"' in t)
    with pytest.raises(PlanError, match=rf":{line}: indicators\[7\].targets\[0\].territory: '110000'"):
        load_plan(_write(tmp_path, text))


def test_a_filter_needs_exactly_one_of_in_or_not_in(tmp_path: Path) -> None:
    text = SOURCE.replace("{attribute: kind, in: [little_giant]}", "{attribute: kind}")
    with pytest.raises(PlanError, match=r"indicators\[7\].counts.where\[0\]: give exactly one"):
        load_plan(_write(tmp_path, text))


def test_broken_yaml_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"x.yaml:\d+: \(plan\): not valid YAML"):
        load_plan(_write(tmp_path, SOURCE + "\n  - [unclosed\n"))
    text = SOURCE.replace("- id: little_giants", "- id: tech_smes")
    with pytest.raises(PlanError, match=r"indicators\[7\].id: 'tech_smes' appears twice"):
        load_plan(_write(tmp_path, text, "y.yaml"))


def test_a_second_plan_file_brings_its_own_period_and_targets_without_code(tmp_path: Path) -> None:
    second = (SOURCE.replace("id: jiangmen-2022-2024", "id: jiangmen-2025-2027")
              .replace("{start: 2022-01-01, end: 2024-12-31}", "{start: 2025-01-01, end: 2027-12-31}")
              .replace("[2022-12-31, 2023-12-31, 2024-12-31]", "[2025-12-31, 2026-12-31, 2027-12-31]")
              .replace('targets: [{date: 2024-12-31, value: "2600"}]',
                       'targets: [{date: 2027-12-31, value: "3200"}, '
                       '{date: 2027-12-31, territory: "440703", value: "900"}]'))
    _write(tmp_path, SOURCE, "a.yaml")
    _write(tmp_path, second, "b.yaml")
    plans = load_plans(tmp_path)
    assert [p.id for p in plans] == ["jiangmen-2022-2024", "jiangmen-2025-2027"]
    new = active_plan(plans)
    assert new.id == "jiangmen-2025-2027"
    value = compute_from_snapshots(new, world(), "440703", date(2027, 12, 31), "high_tech_enterprises")
    # On 2027-12-31 even E2's renewed certificate (valid_until 2027-12-31, exclusive) is gone: 0.
    assert (value.value, value.target, value.target_date) == ("0", "900", "2027-12-31")
    # Cumulative windows start with the new plan: E1's 2022-2023 loans no longer count.
    assert compute_from_snapshots(new, world(), "440700", date(2027, 6, 30), "finance_credit").value == "0.00"


def test_two_files_with_one_plan_id_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, SOURCE, "a.yaml")
    _write(tmp_path, SOURCE, "b.yaml")
    with pytest.raises(PlanError, match="more than one file"):
        load_plans(tmp_path)


def test_confidential_is_refused_on_a_ratio_naming_its_line(tmp_path: Path) -> None:
    lines = SOURCE.splitlines()
    line = next(n for n, text in enumerate(lines) if text.strip() == "kind: ratio")
    lines.insert(line + 1, "    confidential: true")
    with pytest.raises(PlanError) as refused:
        load_plan(_write(tmp_path, "\n".join(lines)))
    assert f"x.yaml:{line + 2}: indicators[0].confidential" in str(refused.value) and "not to a ratio" in str(refused.value)


def test_the_small_cell_minimum_is_read_and_must_be_positive(tmp_path: Path) -> None:
    assert load_plan(PLANS / "jiangmen-2022-2024.yaml").disclosure.min_contributors == 3
    with pytest.raises(PlanError) as refused:
        load_plan(_write(tmp_path, SOURCE.replace("disclosure: {min_contributors: 3}",
                                                  "disclosure: {min_contributors: 0}")))
    assert "min_contributors" in str(refused.value)

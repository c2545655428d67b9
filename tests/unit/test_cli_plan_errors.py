"""A malformed plan stops a process at start with the file, line and reason, in one line."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from yinling.cli import main

PLAN = Path(__file__).parents[2] / "plans" / "jiangmen-2022-2024.yaml"


@pytest.mark.parametrize("command", [["serve", "indicators"], ["worker"]])
def test_a_malformed_plan_is_refused_at_start_naming_line_and_reason(tmp_path, command):
    text = PLAN.read_text(encoding="utf-8")
    bad = tmp_path / "plan.yaml"
    bad.write_text(text.replace("kind: stock\n", "kind: stok\n", 1), encoding="utf-8")
    line = text[: text.index("kind: stock\n")].count("\n") + 1
    result = CliRunner().invoke(main, command, env={
        "YINLING_PLAN": str(bad), "YINLING_DATA_DIR": str(tmp_path),
        "YINLING_BOOTSTRAP_SERVERS": "127.0.0.1:1"})  # nothing listens: the plan must fail first
    assert result.exit_code == 1
    assert f"{bad}:{line}: " in result.output and "'stok' is not one of stock" in result.output
    assert "Traceback" not in result.output


def test_plan_check_accepts_the_shipped_plan_and_names_its_indicators():
    result = CliRunner().invoke(main, ["plan-check", str(PLAN)])
    assert result.exit_code == 0 and "18 indicators: valid" in result.output

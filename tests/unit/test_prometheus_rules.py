"""deploy/prometheus as Prometheus reads it: the alert rules and the scrape configuration
valid (promtool check rules / check config), and every alert's unit tests in
alerts_test.yml passing (promtool test rules)."""
from __future__ import annotations

from pathlib import Path

import yaml

from promtool import run

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def alert_names() -> set[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return {rule["alert"] for group in rules["groups"] for rule in group["rules"]}


def test_the_alert_rules_pass_promtool_check_rules() -> None:
    code, out = run("check", "rules", "alerts.yml", cwd=PROMETHEUS)
    assert code == 0, out
    assert f"SUCCESS: {len(alert_names())} rules found" in out


def test_the_scrape_configuration_passes_promtool_check_config_with_its_rules() -> None:
    code, out = run("check", "config", "prometheus.yml", cwd=PROMETHEUS)
    assert code == 0, out
    assert "SUCCESS: 1 rule files found" in out


def test_every_alert_has_unit_tests_and_they_pass() -> None:
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]
              if case["exp_alerts"]}
    assert tested == alert_names()   # each alert is seen firing in at least one test
    code, out = run("test", "rules", "alerts_test.yml", cwd=PROMETHEUS)
    assert code == 0, out

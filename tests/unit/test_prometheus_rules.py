"""deploy/prometheus as Prometheus reads it: the alert rules and the scrape configuration
valid (promtool check rules / check config), and every alert's unit tests in
alerts_test.yml passing (promtool test rules)."""
from __future__ import annotations

from monitoring import PROMETHEUS, alert_rules, load
from promtool import run


def test_the_alert_rules_pass_promtool_check_rules() -> None:
    code, out = run("check", "rules", "alerts.yml", cwd=PROMETHEUS)
    assert code == 0, out
    assert f"SUCCESS: {len(alert_rules())} rules found" in out


def test_the_scrape_configuration_passes_promtool_check_config_with_its_rules() -> None:
    code, out = run("check", "config", "prometheus.yml", cwd=PROMETHEUS)
    assert code == 0, out
    assert "SUCCESS: 1 rule files found" in out


def test_every_alert_has_unit_tests_and_they_pass() -> None:
    tests = load(PROMETHEUS / "alerts_test.yml")
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]
              if case["exp_alerts"]}
    assert tested == set(alert_rules())   # each alert is seen firing in at least one test
    code, out = run("test", "rules", "alerts_test.yml", cwd=PROMETHEUS)
    assert code == 0, out

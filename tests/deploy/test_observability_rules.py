"""deploy/prometheus's rules: valid (`promtool check rules`), their alerts fire when, and only
when, a service level is missed (`promtool test rules` on deploy/prometheus/tests/*.yml), and
they read only series the code exports. promtool missing fails the test (.ci/run installs
it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from .exported_metrics import SERIES, exported_names
from .tools import required_tool

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULE_FILES = sorted(PROMETHEUS.glob("*-rules.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
# An alert compares one recorded series with a number (the live test reads it with `bool`).
ALERT_FORM = re.compile(r"^switchboard:[a-z0-9_:]+ (>|<|>=|<=) [0-9.]+$")


def _promtool(folder: Path, *args: str) -> str:
    promtool = required_tool("promtool", "prometheus")
    done = subprocess.run(
        [promtool, *args], cwd=folder, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _rules() -> list[dict[str, str]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def test_there_are_rules_and_tests_for_them() -> None:
    assert {path.name for path in RULE_FILES} >= {"switchboard-rules.yml", "calendar-rules.yml"}
    assert RULE_TESTS, "no promtool tests in deploy/prometheus/tests"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_promtool_checks_the_rules(path: Path) -> None:
    assert "SUCCESS" in _promtool(PROMETHEUS, "check", "rules", path.name)


@pytest.mark.parametrize("path", RULE_TESTS, ids=lambda path: path.name)
def test_the_alerts_fire_when_and_only_when_a_level_is_missed(path: Path) -> None:
    assert "SUCCESS" in _promtool(path.parent, "test", "rules", path.name)


def test_every_alert_of_switchboard_rules_is_tested() -> None:
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    assert alerts - {"CalendarRemindersLate", "CalendarSyncFailing"} <= tested


def test_alerts_compare_a_recorded_series_with_a_number() -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    for rule in _rules():
        if "alert" in rule:
            expr = rule["expr"].strip()
            assert ALERT_FORM.match(expr), (rule["alert"], expr)
            assert expr.split()[0] in recorded, rule["alert"]
            assert rule["labels"]["severity"] in {"page", "ticket", "info"}


def test_the_rules_read_only_series_the_code_exports() -> None:
    exported = exported_names()
    read = {name for rule in _rules() for name in SERIES.findall(rule["expr"])}
    assert read, "the rules read no series?"
    assert read <= exported, sorted(read - exported)

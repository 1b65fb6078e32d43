"""The calendar's Prometheus rules (deploy/prometheus/calendar-rules.yml) are valid, state the
issue's service levels, and fire when, and only when, they are missed (`promtool test rules`
with calendar-rules.test.yml). promtool missing fails the test (`.ci/run` installs it);
the names the rules read are checked against what the app exports either way."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from prometheus_client import REGISTRY, generate_latest

from switchboard.apps.calendar import reminder_metrics

from .tools import required_tool

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def _promtool(*args: str) -> str:
    promtool = required_tool("promtool", "prometheus")  # fails, never skips: .ci/run installs it
    done = subprocess.run(
        [promtool, *args], cwd=RULES, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_checks_the_rules() -> None:
    assert "SUCCESS" in _promtool("check", "rules", "calendar-rules.yml")


def test_the_alerts_fire_when_the_service_levels_are_missed() -> None:
    _promtool("test", "rules", "calendar-rules.test.yml")


def test_the_rules_state_the_issues_service_levels() -> None:
    groups = yaml.safe_load((RULES / "calendar-rules.yml").read_text())["groups"]
    alerts = {
        rule["alert"]: rule["expr"]
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    }
    assert alerts == {
        "CalendarRemindersLate": "switchboard:calendar_reminders_on_time:ratio_rate1h < 0.99",
        "CalendarSyncFailing": "switchboard:calendar_sync_success:ratio_rate1h <= 0.95",
    }


def test_the_series_the_rules_read_are_exported() -> None:
    reminder_metrics.LATENESS.observe(1.0)
    exposed = generate_latest(REGISTRY).decode()
    rules = (RULES / "calendar-rules.yml").read_text()
    assert 'switchboard_calendar_reminder_lateness_seconds_bucket{le="60.0"}' in exposed
    assert 'switchboard_calendar_reminder_lateness_seconds_bucket{le="60.0"}' in rules
    assert "switchboard_calendar_reminder_lateness_seconds_count " in exposed
    assert "switchboard_calendar_sync_total" in rules  # exported by the sync part


def test_the_sync_rule_counts_every_good_outcome_the_app_emits() -> None:
    """Regression: the rule counted "ok|not_modified" while subscriptions emitted "success" and
    CalDAV "conflict", so good syncs read as failures. The rule's good outcomes are exactly
    SyncOutcome's that succeeded, and every outcome exported for either kind is a SyncOutcome."""
    from switchboard.apps.calendar.sync_metrics import SUCCEEDED, SyncOutcome

    groups = yaml.safe_load((RULES / "calendar-rules.yml").read_text())["groups"]
    (expr,) = [
        rule["expr"]
        for group in groups
        for rule in group["rules"]
        if rule.get("record") == "switchboard:calendar_sync_success:ratio_rate1h"
    ]
    (good,) = re.findall(r'switchboard_calendar_sync_total\{outcome=~"([^"]+)"\}', expr)
    assert set(good.split("|")) == {outcome.value for outcome in SUCCEEDED}
    assert SyncOutcome.FAILED not in SUCCEEDED
    exposed = generate_latest(REGISTRY).decode()
    emitted = set(
        re.findall(r'switchboard_calendar_sync_total\{kind="\w+",outcome="(\w+)"\}', exposed)
    )
    assert emitted == {outcome.value for outcome in SyncOutcome}

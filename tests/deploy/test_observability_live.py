"""No dashboard panel and no rule ships broken: Debian's Prometheus scrapes a live platform
(webhooks from the sandbox, replies, a broadcast job) every second with deploy/prometheus's
rules loaded, and every PromQL expression of every Grafana dashboard and every rule, run
through its HTTP API, parses and returns data. An alert's comparison is read with `bool`
(firing or not, its series must exist). Prometheus missing fails the test (.ci/run installs
it)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from switchboard.sandbox.testing import free_port

from .live_platform import BOT_ID, OWNER_ID, live_platform
from .tools import required_tool

pytestmark = pytest.mark.timeout(120)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = sorted((DEPLOY / "prometheus").glob("*-rules.yml"))
ALERT = re.compile(r"^(?P<series>\S+) (?P<op>>=|<=|>|<) (?P<number>[0-9.]+)$")
# Grafana's variables, as a dashboard with every bot selected sends them.
VARIABLES = {"$__rate_interval": "1m", "$bot": ".*"}
LABEL_VALUES = re.compile(r"^label_values\((?P<metric>[^,]+),\s*(?P<label>\w+)\)$")


def _grafana_expr(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, f"an unknown Grafana variable in {expr!r}"
    return expr


def expressions() -> dict[str, str]:
    """Where each expression comes from -> the PromQL to run."""
    found: dict[str, str] = {}
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                assert target["datasource"]["type"] == "prometheus", panel["title"]
                where = f"{path.name}: {panel['title']} ({target['refId']})"
                found[where] = _grafana_expr(target["expr"])
        for variable in board["templating"]["list"]:
            query = LABEL_VALUES.match(variable["query"]["query"])
            assert query, variable
            where = f"{path.name}: variable {variable['name']}"
            found[where] = f"count by ({query['label']}) ({query['metric']})"
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                expr = " ".join(rule["expr"].split())
                if "record" in rule:
                    found[f"{path.name}: {rule['record']} (its expression)"] = expr
                    found[f"{path.name}: {rule['record']} (recorded)"] = rule["record"]
                else:
                    alert = ALERT.match(expr)
                    assert alert, (rule["alert"], expr)
                    found[f"{path.name}: alert {rule['alert']}"] = (
                        f"{alert['series']} {alert['op']} bool {alert['number']}"
                    )
    return found


def _prometheus_config(target: str, rules: list[Path]) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rules],
        "scrape_configs": [
            {"job_name": "switchboard", "metrics_path": "/metrics",
             "static_configs": [{"targets": [target]}]},
        ],
    }  # fmt: skip


@asynccontextmanager
async def prometheus(config: dict[str, Any], folder: Path) -> AsyncIterator[str]:
    binary = required_tool("prometheus", "prometheus")
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        binary, f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL, stderr=(folder / "prometheus.log").open("wb"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(300):
                with suppress(httpx.TransportError):
                    if (await http.get(f"{url}/-/ready")).status_code == 200:
                        break
                assert process.returncode is None, (folder / "prometheus.log").read_text()
                await asyncio.sleep(0.1)
        yield url
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)


async def _empty_or_failing(http: httpx.AsyncClient, url: str, found: dict[str, str]) -> dict:
    problems: dict[str, str] = {}
    for where, expr in found.items():
        answer = (await http.get(f"{url}/api/v1/query", params={"query": expr})).json()
        if answer["status"] != "success":
            problems[where] = f"{expr}: {answer.get('error')}"
        elif not answer["data"]["result"]:
            problems[where] = f"{expr}: no data"
    return problems


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_every_panel_and_rule_returns_data_from_a_live_platform(
    database_url: str, tmp_path: Path
) -> None:
    found = expressions()
    assert len(DASHBOARDS) == 5 and len(found) > 100
    async with live_platform(database_url) as platform:
        async with platform.sandbox.client(timeout=30) as tg:
            owner = await tg.create_user("Olga", id=OWNER_ID)
            await tg.send_text(owner, "/start", bot_id=BOT_ID)
            await tg.expect_message(chat_id=owner["id"], contains="Olga")
            await tg.send_text(owner, "/broadcast Metrics", bot_id=BOT_ID)
            await tg.expect_message(chat_id=owner["id"], contains="Metrics")
        target = platform.base_url.removeprefix("http://")
        config = _prometheus_config(target, RULE_FILES)
        async with prometheus(config, tmp_path) as url, httpx.AsyncClient(timeout=10) as http:
            problems: dict[str, str] = {}
            for _ in range(60):  # a few scrapes and rule evaluations
                await asyncio.sleep(1)
                scrapes = await http.get(
                    f"{url}/api/v1/query", params={"query": "count_over_time(up[1m])"}
                )
                result = scrapes.json()["data"]["result"]
                if not result or float(result[0]["value"][1]) < 4:
                    continue
                problems = await _empty_or_failing(http, url, found)
                if not problems:
                    break
            rules = (await http.get(f"{url}/api/v1/rules")).json()["data"]["groups"]
            up = (await http.get(f"{url}/api/v1/query", params={"query": "up"})).json()
    assert up["data"]["result"] and up["data"]["result"][0]["value"][1] == "1"
    unhealthy = [
        (rule["name"], rule.get("lastError"))
        for group in rules
        for rule in group["rules"]
        if rule["health"] != "ok"
    ]
    assert not unhealthy
    assert sum(len(group["rules"]) for group in rules) > 40
    assert not problems, "\n".join(f"{where}: {problem}" for where, problem in problems.items())

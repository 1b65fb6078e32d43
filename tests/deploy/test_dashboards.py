"""deploy/grafana: one dashboard per area, well-formed for Grafana's file provisioning, and
wired up: compose mounts the dashboards where the provider reads them, and every panel queries
the provisioned Prometheus data source. (That every query returns data is
test_observability_live.py's job.)"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
GRAFANA = DEPLOY / "grafana"


def _boards() -> dict[str, dict]:  # type: ignore[type-arg]
    return {
        path.stem: json.loads(path.read_text()) for path in (GRAFANA / "dashboards").glob("*.json")
    }


def test_one_dashboard_per_area_with_unique_ids() -> None:
    boards = _boards()
    assert set(boards) == {"platform", "notes", "calendar", "repost", "match"}
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for name, board in boards.items():
        assert board["uid"] == f"switchboard-{name}" and board["title"].startswith("Switchboard")
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name
        assert any(panel["type"] != "row" for panel in board["panels"])


def test_panels_do_not_overlap() -> None:
    for name, board in _boards().items():
        taken: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (name, panel["title"])
            cells = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not cells & taken, (name, panel["title"])
            taken |= cells


def test_panels_query_the_provisioned_prometheus() -> None:
    sources = yaml.safe_load((GRAFANA / "provisioning/datasources/datasources.yaml").read_text())
    prometheus = next(s for s in sources["datasources"] if s["type"] == "prometheus")
    for name, board in _boards().items():
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == {"type": "prometheus", "uid": prometheus["uid"]}, name
            assert panel["targets"], (name, panel["title"])
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == prometheus["uid"]
                assert target["expr"].strip()


def test_compose_mounts_what_grafana_and_prometheus_read() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/dashboards.yaml").read_text())[
        "providers"
    ][0]
    grafana = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in grafana
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana
    mounted = compose["services"]["prometheus"]["volumes"]
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    for rules in sorted((DEPLOY / "prometheus").glob("*-rules.yml")):
        assert f"./prometheus/{rules.name}:/etc/prometheus/rules/{rules.name}:ro" in mounted
    # The platform exports traces over OTLP/HTTP: the collector's HTTP port.
    environment = compose["x-switchboard"]["environment"]
    assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318")

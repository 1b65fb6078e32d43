"""The log shipper's view of the platform's JSON logs. Grafana Loki is not in Debian (its
`loki` package is an unrelated genetics program), so Loki itself is not run here; what is
checked is what Promtail (deploy/loki/promtail.yaml) relies on: every line is one JSON object
whose fields the pipeline extracts — the level, the update's id, the trace's id and an
RFC 3339 UTC timestamp — and the id fields are never labels (one value per update)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import structlog
import yaml
from opentelemetry.sdk.trace import TracerProvider

from switchboard.kernel import tracing
from switchboard.kernel.telemetry import (
    bind_update_context,
    clear_update_context,
    configure_logging,
)

PROMTAIL = Path(__file__).resolve().parents[2] / "deploy" / "loki" / "promtail.yaml"


def _stages() -> list[dict[str, dict]]:  # type: ignore[type-arg]
    config = yaml.safe_load(PROMTAIL.read_text())
    (job,) = config["scrape_configs"]
    return list(job["pipeline_stages"])


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("INFO", True, stream=stream)
    try:
        yield stream
    finally:
        configure_logging("WARNING")


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_an_updates_lines_carry_what_promtail_extracts(json_logs: io.StringIO) -> None:
    provider = TracerProvider()
    tracing.use_tracer(provider.get_tracer("test"))
    try:
        with tracing.span("update message") as span:
            assert span is not None
            bind_update_context(5550042, 777)
            structlog.get_logger("switchboard.pipeline").info("handled")
            logging.getLogger("aiogram.event").warning("from the standard library")
            clear_update_context()
        structlog.get_logger("switchboard").info("outside any update")
    finally:
        tracing.use_tracer(None)
    inside, stdlib, outside = _lines(json_logs)
    (extract,) = (stage["json"]["expressions"] for stage in _stages() if "json" in stage)
    trace_id = format(span.get_span_context().trace_id, "032x")
    for line in (inside, stdlib):
        for field, key in extract.items():
            assert key in line, (field, line)
        assert line["update_id"] == 777 and line["trace_id"] == trace_id
    assert "update_id" not in outside and "trace_id" not in outside
    for line in (inside, stdlib, outside):
        stamp = datetime.fromisoformat(str(line["timestamp"]))
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0


def test_ids_are_structured_metadata_not_labels() -> None:
    stages = _stages()
    labels = next(stage["labels"] for stage in stages if "labels" in stage)
    metadata = next(
        stage["structured_metadata"] for stage in stages if "structured_metadata" in stage
    )
    assert set(labels) == {"level"}
    assert set(metadata) == {"update_id", "trace_id"}
    timestamp = next(stage["timestamp"] for stage in stages if "timestamp" in stage)
    assert timestamp == {"source": "timestamp", "format": "RFC3339Nano"}

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.jobs import JobContext, JobRegistry, Worker, load_registry

from .conftest import FakeClock
from .test_outcomes import add_job


async def nothing(context: JobContext, payload: dict[str, Any]) -> None:
    return None


def test_a_kind_has_one_handler() -> None:
    registry = JobRegistry()
    registry.register("notes.file", nothing)
    with pytest.raises(ValueError, match="already has a handler"):
        registry.register("notes.file", nothing)
    app = JobRegistry()
    app.register("calendar.remind", nothing)
    registry.include(app)
    assert list(registry) == ["calendar.remind", "notes.file"]
    assert "calendar.remind" in registry and registry.get("missing") is None


def test_registries_load_by_module_path() -> None:
    module = f"{__package__}.process_handlers"
    assert "record.run" in load_registry(f"{module}:registry")
    with pytest.raises(ValueError, match="module:attribute"):
        load_registry(module)
    with pytest.raises(TypeError, match="not a JobRegistry"):
        load_registry(f"{module}:CREATE_RUNS_TABLE")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_outcomes_are_counted_by_kind_without_ids(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    registry = JobRegistry()
    registry.register("metrics.ok", nothing)
    before = sample("switchboard_jobs_total", kind="metrics.ok", outcome="succeeded")
    durations = sample("switchboard_job_duration_seconds_count", kind="metrics.ok")
    for _ in range(3):
        await add_job(session_factory, "metrics.ok")
    await add_job(session_factory, "metrics.unknown")
    await Worker(session_factory, registry, clock=clock).run_pending()
    assert sample("switchboard_jobs_total", kind="metrics.ok", outcome="succeeded") == before + 3
    assert sample("switchboard_jobs_total", kind="metrics.unknown", outcome="dead") >= 1
    assert sample("switchboard_job_duration_seconds_count", kind="metrics.ok") == durations + 3
    assert sample("switchboard_job_start_delay_seconds_count", kind="metrics.ok") >= 3

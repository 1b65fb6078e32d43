"""The `handler` label of the pipeline's metrics: stable when an app splits its handlers."""

from __future__ import annotations

from typing import Any

from switchboard.kernel.pipeline.chosen_handler import _name


def _handler(module: str, name: str = "capture_private") -> Any:
    async def handler() -> None: ...

    handler.__module__, handler.__name__ = module, name
    return handler


def test_an_apps_handlers_are_named_by_the_app_in_a_module_or_a_package() -> None:
    assert _name(_handler("switchboard.apps.notes.handlers")) == "notes.capture_private"
    assert _name(_handler("switchboard.apps.notes.handlers.capture")) == "notes.capture_private"
    assert _name(_handler("switchboard.apps.core.handlers", "start")) == "core.start"


def test_other_handlers_are_named_by_their_package() -> None:
    assert _name(_handler("tests.kernel.test_routing", "echo")) == "kernel.echo"
    assert _name(_handler("bench", "echo")) == "bench.echo"

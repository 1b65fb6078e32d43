"""A uvicorn server that leaves signals to its owner (light: the demo starts one before the
platform's heavy modules are imported)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to us: it runs beside pollers and workers that
    must stop together, so SIGINT/SIGTERM set our stop event instead of uvicorn's flag."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

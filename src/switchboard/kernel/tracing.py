"""OpenTelemetry traces: a span per update, its handler, its database commits, each Bot API
call, and the jobs it enqueues (their spans join the update's trace).

Off unless asked for, so the hot path pays one `is None` test per span: no exporter, no
spans, no context switches. On when

- a tracer provider is already installed globally (`opentelemetry-instrument switchboard run`
  installs the SDK's before our code runs): its spans and ours then form one trace; or
- the standard variables ask for an exporter: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
  `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, or `OTEL_TRACES_EXPORTER` set to `otlp` or
  `console`. OTLP goes over HTTP/protobuf (port 4318); `OTEL_SERVICE_NAME` and
  `OTEL_RESOURCE_ATTRIBUTES` name the service. `OTEL_TRACES_EXPORTER=none` or
  `OTEL_SDK_DISABLED=true` keep it off.

A job carries the trace context of whoever enqueued it (W3C `traceparent`, in its payload
under `TRACE_KEY`); the worker strips it before the job's handler sees the payload and runs
the job in a span whose parent is that context.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

__all__ = [
    "TRACE_KEY",
    "Span",
    "SpanKind",
    "active",
    "configure_tracing",
    "fail",
    "job_context",
    "note",
    "span",
    "use_tracer",
    "with_trace_context",
]

# The payload key a job's trace context is kept under; apps never use it (they cannot see it).
TRACE_KEY: Final = "_trace"
INSTRUMENTATION: Final = "switchboard"

_tracer: Tracer | None = None
_NOTHING: Final[AbstractContextManager[None]] = contextlib.nullcontext()
_PROPAGATOR: Final = TraceContextTextMapPropagator()
_EXPORTERS: Final = frozenset({"otlp", "console"})


def active() -> bool:
    """Whether spans are being made."""
    return _tracer is not None


def use_tracer(tracer: Tracer | None) -> None:
    """Make spans with `tracer` from now on (None: none at all)."""
    global _tracer
    _tracer = tracer


def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int | float | bool] | None = None,
    context: otel_context.Context | None = None,
) -> AbstractContextManager[Span | None]:
    """A span made current for the `with` block, or None (a shared no-op) when tracing is
    off. Exceptions leaving the block are recorded on it and mark it failed."""
    if _tracer is None:
        return _NOTHING
    return _tracer.start_as_current_span(name, context, kind, attributes)


def fail(error: BaseException) -> None:
    """Record `error` on the current span (a failure that is handled, so never propagates)."""
    if _tracer is None:
        return
    current = trace.get_current_span()
    current.record_exception(error)
    current.set_status(Status(StatusCode.ERROR, type(error).__name__))


def with_trace_context(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with the current trace context under `TRACE_KEY` (unchanged when tracing is
    off or no span is current)."""
    if _tracer is None or not trace.get_current_span().get_span_context().is_valid:
        return payload
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return {**payload, TRACE_KEY: carrier}


def job_context(payload: dict[str, Any]) -> tuple[dict[str, Any], otel_context.Context | None]:
    """The payload as the job's handler sees it (without `TRACE_KEY`), and the context the
    job was enqueued in, if it carries one."""
    if TRACE_KEY not in payload:
        return payload, None
    visible = {key: value for key, value in payload.items() if key != TRACE_KEY}
    carrier = payload[TRACE_KEY]
    if _tracer is None or not isinstance(carrier, dict):
        return visible, None
    return visible, _PROPAGATOR.extract({str(k): str(v) for k, v in carrier.items()})


def _wanted(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {
        name.strip().lower()
        for name in environ.get("OTEL_TRACES_EXPORTER", "").split(",")
        if name.strip()
    }
    if "none" in exporters:
        return False
    if exporters & _EXPORTERS:
        return True
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def configure_tracing(
    environ: Mapping[str, str] | None = None, *, install_global: bool = True
) -> TracerProvider | None:
    """Turn tracing on or off as described above; the SDK tracer provider this made (the
    caller may `shutdown()` it to flush), or None when it made none.

    `install_global`: also make it the process's global provider, so libraries' own spans
    (httpx, aiohttp, …) land in the same traces."""
    environ = os.environ if environ is None else environ
    installed = trace.get_tracer_provider()
    if not isinstance(installed, trace.ProxyTracerProvider):  # set up before us
        use_tracer(installed.get_tracer(INSTRUMENTATION))
        return None
    if not _wanted(environ):
        use_tracer(None)
        return None
    # Imported only when wanted: the SDK and exporters cost start-up time nobody else pays.
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    attributes = {"service.name": environ.get("OTEL_SERVICE_NAME") or "switchboard"}
    provider = TracerProvider(resource=Resource.create(attributes))
    exporters = {
        name.strip().lower() for name in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")
    }
    for name in sorted(exporters & _EXPORTERS):
        exporter: SpanExporter
        if name == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=_traces_endpoint(environ))
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if install_global:
        trace.set_tracer_provider(provider)
    use_tracer(provider.get_tracer(INSTRUMENTATION))
    return provider


def _traces_endpoint(environ: Mapping[str, str]) -> str | None:
    """The OTLP/HTTP traces URL the variables name (the exporter reads `os.environ` only)."""
    specific = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if specific:
        return specific
    base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return base.rstrip("/") + "/v1/traces" if base else None


def note(name: str, **attributes: str | int | float | bool) -> None:
    """An event on the current span (a 429 waited out, …)."""
    if _tracer is not None:
        trace.get_current_span().add_event(name, attributes)

"""Traces and logs of a running platform, as an OpenTelemetry collector and a log shipper see
them: one update (webhook → handler → database → sendMessage) is one trace, exported over
OTLP/HTTP as the OTEL_* variables say; a job it enqueued runs in the same trace; the JSON log
lines written meanwhile carry the update's id and its trace and span ids. Off, nothing is
traced and jobs' payloads stay as the app wrote them."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from switchboard.db import create_engine, session_factory
from switchboard.kernel import tracing
from switchboard.kernel.jobs.models import Job
from switchboard.kernel.telemetry import configure_logging

from .live_platform import BOT_ID, OWNER_ID, live_platform
from .otlp_receiver import ReceivedSpan, otlp_receiver

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", True, stream=stream)
    try:
        yield stream
    finally:
        configure_logging("WARNING")


def _trace_of(spans: list[ReceivedSpan], root: ReceivedSpan) -> list[ReceivedSpan]:
    return [span for span in spans if span.trace_id == root.trace_id]


def _descends(span: ReceivedSpan, ancestor: ReceivedSpan, spans: list[ReceivedSpan]) -> bool:
    by_id = {s.span_id: s for s in spans}
    current: ReceivedSpan | None = span
    while current is not None and current.parent_id:
        if current.parent_id == ancestor.span_id:
            return True
        current = by_id.get(current.parent_id)
    return False


async def test_an_update_and_the_job_it_enqueued_are_one_trace(
    database_url: str, json_logs: io.StringIO
) -> None:
    async with otlp_receiver() as receiver:
        provider = tracing.configure_tracing(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_SERVICE_NAME": "switchboard-e2e"},
            install_global=False,
        )
        assert provider is not None and tracing.active()
        try:
            async with live_platform(database_url) as platform:
                async with platform.sandbox.client(timeout=20) as tg:
                    owner = await tg.create_user("Olga", id=OWNER_ID)
                    await tg.send_text(owner, "/start", bot_id=BOT_ID)
                    await tg.expect_message(chat_id=owner["id"], contains="Olga")
                    await tg.send_text(owner, "/broadcast Tracing works", bot_id=BOT_ID)
                    await tg.expect_message(chat_id=owner["id"], contains="Tracing works")
                # The exporter posts synchronously, to a receiver in this event loop.
                await asyncio.to_thread(provider.force_flush)
                await receiver.until(
                    lambda spans: (
                        any(s.name == "job core.broadcast" for s in spans)
                        and any(s.name.startswith("telegram sendMessage") for s in spans)
                    ),
                    "the broadcast job's span",
                )
                engine = create_engine(database_url)
                try:
                    async with session_factory(engine)() as session:
                        payload = await session.scalar(
                            select(Job.payload).where(Job.kind == "core.broadcast")
                        )
                finally:
                    await engine.dispose()
        finally:
            await asyncio.to_thread(provider.shutdown)
            tracing.use_tracer(None)
    spans = receiver.spans
    assert {span.service for span in spans} == {"switchboard-e2e"}

    # /start: the update's span, its handler, its database work and its reply, one trace.
    start = next(
        s
        for s in spans
        if s.name == "update message"
        and str(s.attributes["switchboard.handler"]).find("start") >= 0
    )
    assert start.parent_id == ""  # a root: Telegram's webhook request carries no trace
    assert start.attributes["switchboard.bot_id"] == BOT_ID
    assert start.attributes["switchboard.outcome"] == "handled"
    trace = _trace_of(spans, start)
    names = {span.name for span in trace}
    handler = next(s for s in trace if s.name.startswith("handler "))
    assert handler.parent_id == start.span_id
    assert "db admit" in names and names & {"db claim and outbox", "db commit", "db claim"}
    reply = next(s for s in trace if s.name == "telegram sendMessage")
    assert _descends(reply, handler, trace)
    assert reply.attributes["rpc.method"] == "sendMessage"

    # /broadcast: its job runs in the update's trace, under the span that enqueued it.
    broadcast = next(
        s
        for s in spans
        if s.name == "update message"
        and str(s.attributes["switchboard.handler"]).find("broadcast") >= 0
    )
    job = next(s for s in spans if s.name == "job core.broadcast")
    assert job.trace_id == broadcast.trace_id != start.trace_id
    assert _descends(job, broadcast, _trace_of(spans, broadcast))
    sends = [s for s in _trace_of(spans, job) if s.name == "telegram sendMessage"]
    assert any(_descends(send, job, spans) for send in sends)  # the broadcast's own messages
    assert payload is not None and tracing.TRACE_KEY in payload
    assert payload[tracing.TRACE_KEY]["traceparent"].split("-")[1] == broadcast.trace_id

    # The log lines of /start's update carry its id and its trace.
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.startswith("{")]
    start_id = start.attributes["switchboard.update_id"]
    traced = [line for line in lines if line.get("update_id") == start_id]
    assert traced, "no log line names the /start update"
    assert {line.get("trace_id") for line in traced} == {start.trace_id}
    assert all(len(line["span_id"]) == 16 for line in traced)


async def test_without_otel_variables_nothing_is_traced(database_url: str) -> None:
    assert tracing.configure_tracing({}, install_global=False) is None
    assert not tracing.active()
    with tracing.span("anything") as span:
        assert span is None
    assert tracing.with_trace_context({"a": 1}) == {"a": 1}
    async with live_platform(database_url) as platform, platform.sandbox.client(timeout=20) as tg:
        owner = await tg.create_user("Olga", id=OWNER_ID)
        await tg.send_text(owner, "/broadcast untraced", bot_id=BOT_ID)
        await tg.expect_message(chat_id=owner["id"], contains="untraced")
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            payload = await session.scalar(select(Job.payload).where(Job.kind == "core.broadcast"))
    finally:
        await engine.dispose()
    assert payload is not None and tracing.TRACE_KEY not in payload


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "x"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
    ],
)
def test_the_standard_variables_turn_tracing_on(environ: dict[str, str], on: bool) -> None:
    provider = tracing.configure_tracing(environ, install_global=False)
    try:
        assert tracing.active() is on and (provider is not None) is on
    finally:
        if provider is not None:
            provider.shutdown()
        tracing.use_tracer(None)

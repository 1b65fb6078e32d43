"""Logs, metrics and traces, with bot tokens kept out of all three.

Logging: `configure_logging(level, json)` routes structlog and the standard library (aiogram,
httpx, uvicorn, …) through one chain: context variables, level, logger name, UTC timestamp,
the current trace, exceptions rendered to text, then `redact_secrets`, then a console
renderer for humans or JSON for machines. Redaction runs after exceptions are rendered
because that is where tokens hide: aiohttp's errors quote the request URL, and aiogram logs
them as "Failed to fetch updates - TelegramNetworkError: … url='…/bot<token>/getUpdates'";
httpx logs every request URL at INFO; uvicorn's access log has every path.

Metrics: the kernel's Prometheus metrics are defined once, here. The sender
(`kernel.sender.metrics`) and jobs (`kernel.jobs.metrics`) define their own; nothing here
repeats them. Labels are bounded and never personal or secret: no user or chat ids, no
tokens. A bot is labelled by its numeric id (see `bot_label`).

Tracing: OpenTelemetry's API (installed with FastAPI) gives a tracer whose spans cost nothing
until an SDK is configured; log lines carry the current trace and span ids when there is one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Final, TextIO

import structlog
from prometheus_client import Counter, Gauge, Histogram
from structlog.typing import EventDict, Processor, WrappedLogger

try:  # optional: spans and trace ids in logs when OpenTelemetry's API is importable
    from opentelemetry import trace as otel_trace
except ImportError:  # pragma: no cover - FastAPI depends on it, so it is normally there
    otel_trace = None  # type: ignore[assignment]

__all__ = [
    "BOT_INFO",
    "ERRORS",
    "HANDLER_SECONDS",
    "REDACTED",
    "SUPERVISOR_FAILURES",
    "THROTTLED",
    "UPDATES",
    "WEBHOOK_REQUESTS",
    "WEBHOOK_STATUSES",
    "add_trace_context",
    "add_update_context",
    "bind_update_context",
    "bot_label",
    "bot_running",
    "bot_stopped",
    "clear_update_context",
    "configure_logging",
    "redact_secrets",
    "redact_text",
]

# --- redaction -------------------------------------------------------------------------------

REDACTED: Final = "<redacted>"
# A token is "<bot id>:<35 characters>"; ':' may arrive percent-encoded in a logged URL.
_TOKEN = re.compile(r"\d{5,}(?::|%3[Aa])[A-Za-z0-9_-]{30,}")
# Any Bot API path ("/bot<token>/method", "/file/bot<token>/path"), even with a short test token.
_BOT_PATH = re.compile(r"/bot\d+(?::|%3[Aa])[^/\s?#'\"]*")
# Values of such keys are secrets whatever they look like ("secret_token", "api_key", …).
_SECRET_KEY = re.compile(r"token|secret|password|passwd|api_?key|authorization", re.IGNORECASE)
_PLAIN = (int, float, bool, type(None))


def redact_text(text: str) -> str:
    """`text` with bot tokens replaced by `<redacted>` (`/bot<token>/` → `/bot<redacted>/`)."""
    if "/bot" in text:
        text = _BOT_PATH.sub("/bot" + REDACTED, text)
    return _TOKEN.sub(REDACTED, text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, Mapping):
        return {key: _redact_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(item) for item in value]
    # Anything else is rendered with repr() later; an httpx.URL or an exception may hold a
    # token, so look at that text now and keep the object only if it is clean.
    text = repr(value)
    clean = redact_text(text)
    return value if clean == text else clean


def _redact_item(key: object, value: Any) -> Any:
    if isinstance(key, str) and _SECRET_KEY.search(key) and isinstance(value, str) and value:
        return REDACTED
    return _redact(value)


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: remove bot tokens from every value, at any depth."""
    return {key: _redact_item(key, value) for key, value in event_dict.items()}


# --- tracing ---------------------------------------------------------------------------------


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current span's trace and span ids, to join logs with traces."""
    if otel_trace is not None:
        context = otel_trace.get_current_span().get_span_context()
        if context.is_valid:
            event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
            event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


# --- logging ---------------------------------------------------------------------------------

# Chatty at INFO on the hot path: aiogram logs every update, httpx every request. Our own
# pipeline logs and counts updates; at DEBUG everything is shown.
_QUIET_BELOW_DEBUG: Final = ("aiogram.event", "httpx", "httpcore")


class _SwitchboardHandler(logging.StreamHandler[TextIO]):
    """Our root handler, marked so that configuring again replaces it instead of adding one."""


def configure_logging(
    level: str | int = "INFO", json: bool = False, *, stream: TextIO | None = None
) -> None:
    """Send every log line (structlog's and the standard library's) through one redacting chain.

    `json=True` writes one JSON object per line (production, Loki); otherwise a readable
    console format. Safe to call again: the previous configuration is replaced.
    """
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    output = stream if stream is not None else sys.stderr
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_update_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=output.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a cached logger keeps the configuration of its first use, and tests and
        # `switchboard demo` configure more than once.
        cache_logger_on_first_use=False,
    )
    handler = _SwitchboardHandler(output)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.StackInfoRenderer(),
                structlog.processors.format_exc_info,  # before redaction: tracebacks quote URLs
                redact_secrets,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SwitchboardHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _QUIET_BELOW_DEBUG:
        logging.getLogger(name).setLevel(logging.WARNING if numeric > logging.DEBUG else 0)
    # A uvicorn started with its default log_config (anywhere in this process, before or after)
    # gives its loggers their own handlers and stops propagation, so their lines, URLs with
    # tokens included, would bypass our redaction. Take them back.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    logging.captureWarnings(True)


# The update being handled in this task: its log context. One variable, set once per update,
# instead of structlog's one variable per key (four `ContextVar.set`s per update, bound and
# unbound), since every update pays for it and few ever log.
_UPDATE_CONTEXT: ContextVar[Mapping[str, object] | None] = ContextVar(
    "switchboard_update_context", default=None
)


def bind_update_context(bot_id: int, update_id: int, **extra: object) -> None:
    """Tag every log line of this update (in this task) with its bot and update id (and
    `extra`), until `clear_update_context`."""
    _UPDATE_CONTEXT.set({"bot_id": bot_id, "update_id": update_id, **extra})


def clear_update_context() -> None:
    """Remove what `bind_update_context` bound."""
    _UPDATE_CONTEXT.set(None)


def add_update_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the update context bound in this task, under what the line set."""
    context = _UPDATE_CONTEXT.get()
    if context:
        for key, value in context.items():
            event_dict.setdefault(key, value)
    return event_dict


# --- metrics ---------------------------------------------------------------------------------


def bot_label(bot_id: int) -> str:
    """The `bot` label value: the bot's numeric id.

    The id is public (it is the bot's user id and the part of the token before ':'), known
    before any network call, and never changes, while a username can be renamed and would split
    a bot's series in two. Cardinality is the number of bots. `switchboard_bot_info` maps ids
    to usernames for dashboards (`* on(bot) group_left(username) switchboard_bot_info`).
    """
    return str(bot_id)


UPDATES = Counter(
    "switchboard_updates_total",
    "Updates processed, by bot, update type, handler and outcome "
    "(handled | duplicate | throttled | error | skipped: an update this aiogram cannot read, "
    'type "unknown" or "invalid").',
    ["bot", "type", "handler", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "switchboard_handler_seconds",
    "Time from receiving an update to committing its effects, by update type and handler.",
    ["type", "handler"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
THROTTLED = Counter(
    "switchboard_throttled_total",
    "Updates refused by the inbound flood throttle (a user sending too fast).",
)
ERRORS = Counter(
    "switchboard_errors_total",
    "Handler failures, by exception class name.",
    ["type"],
)
SUPERVISOR_FAILURES = Counter(
    "switchboard_supervisor_failures_total",
    "Failures a long-running loop survived (logged, then retried on its next turn), by loop: "
    "bot_reload | poller | wal_checkpoint.",
    ["loop"],
)
WEBHOOK_REQUESTS = Counter(
    "switchboard_webhook_requests_total",
    "Webhook requests of known bots, by bot and the status answered: 200 (claimed), 400 (not "
    "an Update), 401 (wrong secret token), 503 (could not commit; Telegram retries).",
    ["bot", "status"],
)
WEBHOOK_STATUSES: Final = ("200", "400", "401", "503")
BOT_INFO = Gauge(
    "switchboard_bot_info",
    "1 for each running bot; maps the bot label (its id) to its current username.",
    ["bot", "username"],
)


_INFO_USERNAMES: dict[str, str] = {}  # the username each bot's info series carries


def bot_running(bot_id: int, username: str) -> None:
    """A bot runs in this process: its info series (one: a username learnt or changed since
    replaces the old one, else `* on(bot) group_left(username)` finds two and fails), and its
    per-bot series at 0 so that dashboards and alerts read 0, not nothing, until something
    happens."""
    bot = bot_label(bot_id)
    old = _INFO_USERNAMES.get(bot)
    if old is not None and old != username:
        BOT_INFO.remove(bot, old)
    _INFO_USERNAMES[bot] = username
    BOT_INFO.labels(bot=bot, username=username).set(1)
    for status in WEBHOOK_STATUSES:
        WEBHOOK_REQUESTS.labels(bot=bot, status=status)


def bot_stopped(bot_id: int) -> None:
    """A bot no longer runs here: its info series goes."""
    old = _INFO_USERNAMES.pop(bot_label(bot_id), None)
    if old is not None:
        BOT_INFO.remove(bot_label(bot_id), old)


# Children with known label values exist from the start (at 0): a rate over them is 0, not an
# empty result that a dashboard shows as "no data" and an alert cannot compare.
for _loop in ("bot_reload", "poller", "wal_checkpoint"):
    SUPERVISOR_FAILURES.labels(loop=_loop)

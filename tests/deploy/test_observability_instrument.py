"""`opentelemetry-instrument switchboard run`: the agent installs its tracer provider before
our code runs, and the platform's spans go through it (one provider, one exporter, the
agent's resource), over OTLP/HTTP to a collector. SIGTERM flushes them on the way out."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from switchboard.sandbox.testing import SandboxServer
from switchboard.sandbox.testing.server import free_port

from .live_platform import BOT_ID, BOT_TOKEN, OWNER_ID, register_bot
from .otlp_receiver import otlp_receiver

pytestmark = pytest.mark.timeout(150)


async def test_opentelemetry_instrument_runs_the_platform(tmp_path: Path) -> None:
    agent = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    switchboard = shutil.which("switchboard", path=str(Path(sys.executable).parent))
    assert agent and switchboard, "opentelemetry-distro is a dev dependency (uv sync)"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        await register_bot(database_url)
        async with otlp_receiver() as receiver:
            environ = {
                **os.environ,
                "DATABASE_URL": database_url,
                "TELEGRAM_API_URL": sandbox.url,
                "WEB_PORT": str(free_port()),
                "OTEL_SERVICE_NAME": "switchboard-agent",
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
                "OTEL_BSP_SCHEDULE_DELAY": "200",
            }
            environ.pop("REDIS_URL", None)
            process = await asyncio.create_subprocess_exec(
                agent, switchboard, "run", env=environ, cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            try:
                async with sandbox.client(timeout=90) as tg:
                    owner = await tg.create_user("Olga", id=OWNER_ID)
                    await tg.send_text(owner, "/start", bot_id=BOT_ID)
                    await tg.expect_message(chat_id=owner["id"], contains="Olga")
                await receiver.until(
                    lambda spans: any(s.name == "telegram sendMessage" for s in spans),
                    "the reply's span",
                )
            finally:
                process.send_signal(signal.SIGTERM)
                output, _ = await asyncio.wait_for(process.communicate(), 30)
            assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    update = next(s for s in receiver.spans if s.name == "update message")
    reply = next(s for s in receiver.spans if s.name == "telegram sendMessage")
    assert update.service == reply.service == "switchboard-agent"
    assert reply.trace_id == update.trace_id
    # The agent's provider, not one of the platform's own: its resource says who made it.
    assert "telemetry.auto.version" in update.resource or "telemetry.distro.name" in update.resource

"""`switchboard demo` as a newcomer runs it: a process of its own, in a folder of its own, stopped
with Ctrl+C (SIGINT). Shared by the demo's end-to-end and browser tests."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from switchboard.platform.demo import DEMO_TOKEN, DEMO_USER_ID

DEMO_BOT_ID = int(DEMO_TOKEN.split(":", 1)[0])

__all__ = ["DEMO_BOT_ID", "DEMO_USER_ID", "TEST_TIMEOUT", "DemoProcess", "demo_env", "quiet_port"]

START_TIMEOUT = 150.0  # aiogram's import and the migrations, on a machine shared with others
STOP_BOUND = 15.0  # the README: Ctrl+C stops the process within 15 s
TEST_TIMEOUT = 3 * START_TIMEOUT  # for a test that starts the demo twice


def quiet_port() -> int:
    """A free port below the kernel's ephemeral range: the demo binds it only after a start-up
    that can take a minute on a loaded machine, and meanwhile any outgoing connection may be
    given a port from that range (`free_port()`'s)."""
    while True:
        port = random.randrange(20_000, 32_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def demo_env(folder: Path, web_port: int) -> dict[str, str]:
    """The environment of a demo in `folder`: its own SQLite file and web port, no Redis, and
    nothing of the test run's own settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "TOKEN_KEY", "INSTALLED_APPS", "WEB_PORT"}
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'switchboard.db'}",
        WEB_PORT=str(web_port),
        LOG_LEVEL="warning",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class DemoProcess:
    """One run of `switchboard demo --port PORT` in `folder`; `lines` is what it printed."""

    folder: Path
    port: int = field(default_factory=quiet_port)
    web_port: int = field(default_factory=quiet_port)
    args: tuple[str, ...] = ()
    process: subprocess.Popen[str] | None = None
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *args: str) -> DemoProcess:
        command = [sys.executable, "-m", "switchboard", "demo", "--port", str(self.port), *args]
        self.process = subprocess.Popen(
            command,
            cwd=self.folder,
            env=demo_env(self.folder, self.web_port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stream, lines in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=_collect, args=(stream, lines), daemon=True).start()
        return self

    def wait_for(self, text: str, timeout: float = START_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.stdout):
            if self.process.poll() is not None:
                time.sleep(0.2)  # the last lines may still be on their way
                raise AssertionError(f"the demo exited before {text!r}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output()}")
            time.sleep(0.05)

    def running(self) -> DemoProcess:
        self.wait_for("Press Ctrl+C to stop.")
        return self

    def interrupt(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float = STOP_BOUND) -> int:
        """The exit status, within `timeout` seconds (the process is killed if not)."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            output = self.output()
        raise AssertionError(f"the demo did not exit within {timeout} s:\n{output}")

    def stop(self) -> int:
        """Ctrl+C, and the exit status (within the README's bound)."""
        self.interrupt()
        return self.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        time.sleep(0.1)
        return "".join(self.stdout) + "--- stderr ---\n" + "".join(self.stderr)


def _collect(stream: object, lines: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)

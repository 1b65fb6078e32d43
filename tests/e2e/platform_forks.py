"""`switchboard run` as real OS processes that start in a fraction of a second.

Importing the platform (aiogram's pydantic models above all) costs about 9 CPU-seconds per
process on the 2-core test machines, and a test that kills and restarts the platform 8 times per
run, 6 runs per file, would spend most of its time there. So a fork server imports the platform
once, up front, and forks a child per start; each child is a fresh process (its own pid, event
loop, database connections and HTTP pools, nothing shared at run time) that runs exactly what
`python -m switchboard run` runs, `switchboard.cli.main()` with `run`, with the settings given
in its environment. A SIGKILL ends it as it would end `python -m switchboard run`.

The fork server imports nothing that starts a thread or opens a connection (checked: only the
main thread exists after the imports), so forking it is safe; each child reseeds `random`.
It reaps its children and answers `status` with their exit codes, so tests see an exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_SERVER = r"""
import json, os, random, signal, sys

import switchboard.cli
import switchboard.platform.serving  # aiogram, SQLAlchemy, the web app: the expensive part
from switchboard.platform.installed_apps import installed_apps

installed_apps()  # the apps' modules, as a platform start imports them
exits = {}
children = set()


def reap(*_):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exits[pid] = os.waitstatus_to_exitcode(status)
        children.discard(pid)


def child(env, log, argv, errors, cwd):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.update(env)
    if cwd:
        os.chdir(cwd)
    output = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(output, 1)
    os.dup2(os.open(errors, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if errors else output, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    random.seed()
    sys.argv = ["switchboard", *argv]
    code = 0
    try:
        switchboard.cli.main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


signal.signal(signal.SIGCHLD, reap)
reply = sys.stdout
reply.write("ready\n")
reply.flush()
while True:
    line = sys.stdin.readline()
    if not line:
        break
    command, _, argument = line.strip().partition(" ")
    if command == "fork":
        request = json.loads(argument)
        pid = os.fork()
        if pid == 0:
            child(
                request["env"], request["log"], request["argv"], request.get("errors"),
                request.get("cwd"),
            )
        children.add(pid)
        reply.write(f"{pid}\n")
    elif command == "status":
        reap()
        reply.write(json.dumps(exits.get(int(argument))) + "\n")
    reply.flush()
for pid in list(children):  # the test is gone: leave nothing running
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""


class PlatformForks:
    """Starts `switchboard run` processes from a fork server (see the module docstring)."""

    def __init__(self, log: Path, start_timeout: float = 180.0) -> None:
        self.log = log
        self._server = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("ab"),
            text=True,
            bufsize=1,
        )
        if self._read(start_timeout) != "ready":
            raise RuntimeError(f"the fork server did not start; see {log}")
        # One question at a time on the pipe: scenarios running side by side call from threads.
        self._asking = threading.Lock()
        self._runs = 0

    def _read(self, timeout: float) -> str:
        assert self._server.stdout is not None
        ready, _, _ = select.select([self._server.stdout], [], [], timeout)
        if not ready:
            raise RuntimeError(f"the fork server did not answer within {timeout:.0f} s")
        return self._server.stdout.readline().strip()

    def _ask(self, line: str) -> str:
        assert self._server.stdin is not None
        with self._asking:
            self._server.stdin.write(line + "\n")
            self._server.stdin.flush()
            return self._read(30)

    def start(self, env: dict[str, str], log: Path, command: str = "run", *args: str) -> int:
        """A new `switchboard <command> <args>` process (`run`, `serve`, `worker`) with `env`
        on top of this one's; its pid."""
        return self._fork({"env": env, "log": str(log), "argv": [command, *args]})

    def _fork(self, request: dict[str, Any]) -> int:
        return int(self._ask("fork " + json.dumps(request)))

    def run(
        self, argv: Sequence[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """`switchboard <argv>` to its end, with `env` on top of this one's, as
        `subprocess.run(..., capture_output=True, text=True)` would give it: a forked process
        of its own, which skips only the imports (for the CLI's start-up checks, each of which
        otherwise spends most of its time importing aiogram)."""
        self._runs += 1
        out = self.log.parent / f"cli-{os.getpid()}-{self._runs}.out"
        err = out.with_suffix(".err")
        pid = self._fork(
            {"env": env, "log": str(out), "argv": list(argv), "errors": str(err),
             "cwd": str(cwd) if cwd else None}
        )  # fmt: skip
        code = self.wait(pid, timeout)
        if code is None:
            self.kill(pid)
            raise subprocess.TimeoutExpired(["switchboard", *argv], timeout)
        result = subprocess.CompletedProcess(["switchboard", *argv], code, _read(out), _read(err))
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        return result

    def returncode(self, pid: int) -> int | None:
        """The process's exit code (negative: the signal that ended it), None while it runs."""
        answer = json.loads(self._ask(f"status {pid}"))
        return None if answer is None else int(answer)

    def kill(self, pid: int) -> None:
        """SIGKILL, if it still runs; returns once it is gone."""
        self._signal(pid, signal.SIGKILL)
        self.wait(pid, 30)

    def _signal(self, pid: int, signum: int) -> None:
        if self.returncode(pid) is None:
            # It may end (and be reaped) between the question and the signal.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def wait(self, pid: int, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            code = self.returncode(pid)
            if code is not None or time.monotonic() > deadline:
                return code
            time.sleep(0.02)

    def stop(self, pid: int, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait for a graceful exit; SIGKILL after `timeout`. The exit code."""
        self._signal(pid, signal.SIGTERM)
        code = self.wait(pid, timeout)
        if code is None:
            self._signal(pid, signal.SIGKILL)
            code = self.wait(pid, 10)
        return code

    def close(self) -> None:
        if self._server.stdin is not None:
            self._server.stdin.close()
        try:
            self._server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def platform_env(database_url: str, sandbox_url: str, **extra: str) -> dict[str, str]:
    """The settings of a platform process polling `sandbox_url`: web on a free port, quiet logs."""
    from switchboard.sandbox.testing import free_port

    return {
        "DATABASE_URL": database_url,
        "TELEGRAM_API_URL": sandbox_url,
        "WEB_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
        **extra,
    }

"""How fast the `switchboard` command starts: `--help`, and `demo` until its URL answers.

Anchor: `python -c "import aiogram"`, measured in the same run (aiogram's pydantic models are
most of a platform process's start). Targets (issue 13, item 6): `switchboard --help` under
0.5 s, and `switchboard demo` answering HTTP under 4 s on a warm second start (a temporary
data directory; the first start, which creates the database and its TOKEN_KEY file, is not
counted). Every figure is a median of wall-clock times of fresh processes.

    uv run python bench/startup.py --quick   # 3 runs of each command, 2 demo starts: < 1 min
    uv run python bench/startup.py           # 7 runs, 5 demo starts
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from _common import load_note, median

HELP_TARGET_S = 0.5
DEMO_TARGET_S = 4.0
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")  # the installed command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # an HTTP answer, whatever its status
    except OSError:
        return False


def demo_start(data: Path) -> tuple[float, float]:
    """Start `switchboard demo` on `data`; seconds until its URL answered HTTP, and until it
    printed that it is running; then stop it."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'demo.db'}",
        "WEB_PORT": str(free_port()),
    }
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    process = subprocess.Popen(
        [SWITCHBOARD, "demo", "--port", str(port)],
        cwd=data,  # no .env of the checkout
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    said_running: list[float] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if "is running" in line and not said_running:
                said_running.append(time.perf_counter() - started)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while not answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"switchboard demo exited with status {process.returncode}")
            if time.perf_counter() - started > 120:
                raise RuntimeError("switchboard demo did not answer within 120 s")
            time.sleep(0.02)
        ready = time.perf_counter() - started
        while not said_running and time.perf_counter() - started < 120:
            time.sleep(0.02)
        return ready, said_running[0] if said_running else float("nan")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)


def verdict(name: str, value: float, target: float) -> str:
    return f"{name} < {target:g} s: {value:.2f} s -> {'met' if value < target else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs, 2 demo starts: < 1 min")
    args = parser.parse_args()
    runs, demo_runs = (3, 2) if args.quick else (7, 5)
    print(f"startup: {runs} runs per command, {demo_runs} warm demo starts; {load_note()}")
    dont_write = os.environ.get("PYTHONDONTWRITEBYTECODE")
    print(f"PYTHONDONTWRITEBYTECODE={dont_write or '(unset)'}; python {sys.version.split()[0]}")

    anchor_times, help_times = [], []
    for _ in range(runs):  # alternating, so that load on the machine falls on both alike
        anchor_times.append(wall_time([sys.executable, "-c", "import aiogram"]))
        help_times.append(wall_time([SWITCHBOARD, "--help"]))
    anchor, help_s = median(anchor_times), median(help_times)
    print(f"anchor: python -c 'import aiogram'  {anchor:.2f} s (median; all {_list(anchor_times)})")
    print(
        f"switchboard --help                  {help_s:.2f} s  ratio {help_s / anchor:.2f}x anchor"
    )

    with tempfile.TemporaryDirectory(prefix="sb-startup-") as folder:
        cold_ready, cold_running = demo_start(Path(folder))
        print(f"demo, first start: URL     {cold_ready:.2f} s, says running {cold_running:.2f} s")
        warm = [demo_start(Path(folder)) for _ in range(demo_runs)]
    ready = median(r for r, _ in warm)
    running = median(s for _, s in warm)
    print(
        f"demo, warm start: URL      {ready:.2f} s (ratio {ready / anchor:.2f}x the anchor; "
        f"median of {_list(r for r, _ in warm)}), says running {running:.2f} s"
    )
    print(verdict("--help", help_s, HELP_TARGET_S))
    print(verdict("demo ready", ready, DEMO_TARGET_S))


def _list(values: Iterable[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()

"""The dashboard's and the Mini App's weight and Lighthouse scores (issue 17), for bench/web.py.

- Bytes a browser transfers for each app's first page: the JS and CSS its built `index.html`
  loads (scripts, stylesheets, module preloads), each gzipped at level 6 as nginx or a CDN
  would. Targets: dashboard <= 300 KB, Mini App <= 150 KB.
- Lighthouse (frontend/'s pinned devDependency, `npm ci --prefix frontend` installs it) on the
  dashboard's overview, logged in, and on the Mini App opened with signed launch data, both
  served by `switchboard demo`; Debian's Chromium headless (CHROME_PATH, default
  /usr/bin/chromium). Performance and accessibility >= 90 each; the median of 3 runs (1 with
  `quick`). The dashboard is scored as a desktop page, the Mini App as a phone's.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "switchboard" / "web" / "static"
LIGHTHOUSE = ROOT / "frontend" / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
DASHBOARD_KB, MINIAPP_KB = 300, 150
MIN_SCORE = 90
SECRET = "bench-web-frontend-secret-key-0123456789"
START_TIMEOUT = 180.0
_ASSET = re.compile(
    r'<(?:script|link)\b[^>]*?(?:src|href)="(/(?:dashboard|app)/[^"]+\.(?:js|css))"'
)


def first_page_bytes(app: str) -> int:
    """Gzipped bytes of the JS and CSS `static/<app>/index.html` loads."""
    folder = STATIC / app
    index = (folder / "index.html").read_text("utf-8")
    total = 0
    for url in sorted(set(_ASSET.findall(index))):
        path = folder / url.split("/", 2)[2]
        total += len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))
    return total


def _size_line(name: str, size: int, target_kb: int) -> str:
    verdict = "met" if size <= target_kb * 1024 else "MISSED"
    return f"{name} JS+CSS gzipped <= {target_kb} KB: {size / 1024:.1f} KB -> {verdict}"


@dataclass
class Demo:
    process: subprocess.Popen[str]
    web: str
    cookie: str
    init_data: str


def _port() -> int:
    while True:
        port = random.randrange(20_000, 32_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


@contextmanager
def _demo() -> Iterator[Demo]:
    """`switchboard demo` in a folder of its own, its user logged in to the web app."""
    from fastapi import Response
    from pydantic import SecretStr

    from switchboard.platform.demo import DEMO_TOKEN, DEMO_USER_ID
    from switchboard.sandbox.webapp import sign_init_data
    from switchboard.settings import Settings
    from switchboard.web.sessions import COOKIE, start_session

    with tempfile.TemporaryDirectory(prefix="bench-web-frontend-") as folder:
        port, web_port = _port(), _port()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "TOKEN_KEY", "INSTALLED_APPS"}
        }
        env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{folder}/switchboard.db",
            WEB_PORT=str(web_port),
            WEB_SECRET_KEY=SECRET,
            LOG_LEVEL="warning",
            PYTHONUNBUFFERED="1",
        )
        command = [sys.executable, "-m", "switchboard", "demo", "--port", str(port)]
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            assert process.stdout is not None
            for line in process.stdout:
                if "Press Ctrl+C to stop." in line:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("the demo did not start")
            else:
                raise RuntimeError("the demo exited before it started")
            # Keep reading what it prints, so a full pipe never stalls it.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            with sqlite3.connect(f"{folder}/switchboard.db") as db:
                now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
                account = db.execute(
                    "INSERT INTO accounts (telegram_user_id, display_name, created_at)"
                    " VALUES (?, ?, ?)",
                    (DEMO_USER_ID, "You", now),
                ).lastrowid
            assert account is not None
            response = Response()
            start_session(response, Settings(web_secret_key=SecretStr(SECRET)), account)
            cookie = response.headers["set-cookie"].split(";", 1)[0]
            assert cookie.startswith(f"{COOKIE}=")
            bot_id = int(DEMO_TOKEN.split(":", 1)[0])
            user = {"id": DEMO_USER_ID, "first_name": "You", "language_code": "en"}
            init_data = sign_init_data(DEMO_TOKEN, bot_id, user)
            yield Demo(process, f"http://127.0.0.1:{web_port}", cookie, init_data)
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def lighthouse(url: str, *, desktop: bool, cookie: str | None = None) -> dict[str, float]:
    """One Lighthouse run: {category: score 0..100}."""
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        "--only-categories=performance,accessibility",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run",
    ]
    if desktop:
        command.append("--preset=desktop")
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = {**os.environ, "CHROME_PATH": CHROME}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    if cookie and report.get("finalDisplayedUrl", "").endswith("/login"):
        raise RuntimeError(f"lighthouse scored the login page, not {url}: the cookie was refused")
    return {name: 100 * (c["score"] or 0) for name, c in report["categories"].items()}


def _score_lines(name: str, runs: list[dict[str, float]]) -> list[str]:
    lines = []
    for category in ("performance", "accessibility"):
        score = statistics.median(run[category] for run in runs)
        verdict = "met" if score >= MIN_SCORE else "MISSED"
        lines.append(f"{name} Lighthouse {category} >= {MIN_SCORE}: {score:.0f} -> {verdict}")
    return lines


def measure(quick: bool) -> list[str]:
    lines = [
        _size_line("dashboard first page", first_page_bytes("dashboard"), DASHBOARD_KB),
        _size_line("Mini App first page", first_page_bytes("miniapp"), MINIAPP_KB),
    ]
    if not LIGHTHOUSE.exists():
        lines.append("Lighthouse: not installed (npm ci --prefix frontend) -> MISSED")
        return lines
    runs = 1 if quick else 3
    with _demo() as demo:
        overview = [
            lighthouse(f"{demo.web}/dashboard/", desktop=True, cookie=demo.cookie)
            for _ in range(runs)
        ]
        launch = f"{demo.web}/app#tgWebAppData={quote(demo.init_data)}"
        miniapp = [lighthouse(launch, desktop=False) for _ in range(runs)]
    return lines + _score_lines("dashboard overview", overview) + _score_lines("Mini App", miniapp)


if __name__ == "__main__":
    for line in measure("--quick" in sys.argv):
        print(line, flush=True)

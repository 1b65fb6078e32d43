"""A real Radicale CalDAV server on a loopback port, for the CalDAV sync tests.

Started once per test run (`python -m radicale` with a config of its own: storage in a
temporary folder, htpasswd auth with plain-text users); each test makes calendars of its own.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import caldav
import pytest

from switchboard.sandbox.testing import free_port

USERS = {"alice": "wonderland", "bob": "builder"}


@dataclass(frozen=True)
class Radicale:
    url: str  # the server root, "http://127.0.0.1:<port>/"
    log: Path

    def client(self, user: str = "alice") -> caldav.DAVClient:
        return caldav.DAVClient(
            url=self.url, username=user, password=USERS[user], enable_rfc6764=False, timeout=10
        )

    def new_calendar(self, user: str = "alice", name: str = "Work") -> caldav.Calendar:
        """A fresh calendar of `user`; its URL is `str(calendar.url)`."""
        principal = self.client(user).principal()
        return principal.make_calendar(name=name, cal_id=uuid.uuid4().hex[:12])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", name="radicale")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    folder = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text("".join(f"{name}:{password}\n" for name, password in USERS.items()))
    port = free_port()
    config = folder / "config"
    config.write_text(
        "[server]\n"
        f"hosts = 127.0.0.1:{port}\n"
        "[auth]\ntype = htpasswd\n"
        f"htpasswd_filename = {users}\nhtpasswd_encryption = plain\n"
        "[storage]\n"
        f"filesystem_folder = {folder / 'storage'}\n"
        "[rights]\ntype = owner_only\n"
        "[logging]\nlevel = warning\n"
    )
    log = folder / "radicale.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):  # waiting for a process to listen, not for time to pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"radicale did not start: {log.read_text()}")
            time.sleep(0.05)
        yield Radicale(f"http://127.0.0.1:{port}/", log)
    finally:
        process.terminate()
        process.wait(10)

"""deploy/systemd's units pass `systemd-analyze verify`, run on copies whose ExecStart points
at an executable this test makes (verify checks that the binary exists). verify exits 0 on an
unknown key or a value it cannot parse (it only warns, "ignoring"), so any output fails too."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import pytest

from .tools import required_tool

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
INSTALLED_BINARY = "/opt/switchboard/bin/switchboard"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ReadWritePaths": "/var/lib/switchboard",
}


def _copies(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    binary = tmp_path / "bin" / "switchboard"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for unit in SYSTEMD.glob("*.service"):
        text = unit.read_text().replace(INSTALLED_BINARY, str(binary))
        if edit is not None:
            text = text.replace(*edit)
        (units / unit.name).write_text(text)
    return units


def _verify(units: Path) -> subprocess.CompletedProcess[str]:
    # The template is verified as an instance of it, as systemctl would start it (the instance
    # name is the worker's web port).
    names = [str(units / "switchboard.service"), str(units / "switchboard-worker@9101.service")]
    return subprocess.run(
        [required_tool("systemd-analyze", "systemd"), "verify", *names],
        capture_output=True, text=True, timeout=60, cwd=units,
    )  # fmt: skip


def test_the_units_verify_cleanly(tmp_path: Path) -> None:
    result = _verify(_copies(tmp_path))
    assert result.returncode == 0, result.stderr
    assert not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


@pytest.mark.parametrize(
    "edit",
    [
        ("ProtectSystem=strict", "ProtectSytem=strict"),  # a misspelt key
        ("ProtectSystem=strict", "ProtectSystem=stricter"),  # a value systemd cannot read
        ("bin/switchboard serve", "bin/no-such-program serve"),  # a missing binary
        ("[Service]", "[Servce]"),  # a misspelt section
    ],
    ids=["key", "value", "binary", "section"],
)
def test_a_broken_unit_fails_the_check(tmp_path: Path, edit: tuple[str, str]) -> None:
    result = _verify(_copies(tmp_path, edit))
    assert result.returncode != 0 or (result.stdout + result.stderr).strip()


@pytest.mark.parametrize("name", ["switchboard.service", "switchboard-worker@.service"])
def test_each_unit_is_hardened_and_reads_its_environment_file(name: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD / name)
    service = parser["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == value, (name, key)
    assert service["EnvironmentFile"] == "/etc/switchboard/switchboard.env"
    assert service["ExecStart"].startswith(INSTALLED_BINARY)
    assert service["User"] == "switchboard"


def test_a_worker_instance_serves_its_metrics_on_the_port_it_is_named_by() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD / "switchboard-worker@.service")
    assert parser["Service"]["ExecStart"] == f"{INSTALLED_BINARY} worker --web-port %i"

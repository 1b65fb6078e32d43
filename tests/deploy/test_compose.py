"""deploy/compose.yaml and deploy/nginx/switchboard.conf are valid as their tools read them.

Images cannot be pulled here, so compose is checked by `docker-compose config` (Debian's) and
nginx's configuration by `nginx -t` on a copy that points at a local upstream and throwaway
certificates. Both tools fail the test when missing (.ci/run installs them)."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .tools import required_tool

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _compose(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [required_tool("docker-compose", "docker-compose"), "-f", str(folder / "compose.yaml"),
         *args],
        capture_output=True, text=True, timeout=60, cwd=folder,
    )  # fmt: skip


@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    (copy / ".env").write_text("POSTGRES_PASSWORD=compose-test\nTOKEN_KEY=\n")
    return copy


def test_compose_file_is_valid_and_runs_the_scaled_out_column(deploy_copy: Path) -> None:
    result = _compose(deploy_copy, "--profile", "local-bot-api", "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {
        "serve", "worker", "migrate", "postgres", "redis", "nginx", "prometheus", "grafana",
        "loki", "promtail", "otel-collector", "telegram-bot-api",
    } <= set(services)  # fmt: skip
    assert services["serve"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["serve"]["command"] == ["serve"]
    assert services["worker"]["command"] == ["worker"]
    assert services["serve"]["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert services["serve"]["environment"]["IN_PROCESS_WORKER"] == "false"
    # The workers run jobs only, with the shared settings, and serve their own health and
    # metrics (WORKER_WEB_PORT), which the health check asks and Prometheus scrapes.
    worker = services["worker"]
    assert worker["environment"]["IN_PROCESS_WORKER"] == "false"
    assert worker["environment"]["DATABASE_URL"] == services["serve"]["environment"]["DATABASE_URL"]
    port = worker["environment"]["WORKER_WEB_PORT"]
    assert "WORKER_WEB_PORT" not in services["serve"]["environment"]
    assert port in [str(exposed) for exposed in worker["expose"]]
    assert "/healthz" in " ".join(worker["healthcheck"]["test"])
    assert "WORKER_WEB_PORT" in " ".join(worker["healthcheck"]["test"])
    scrapes = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in scrapes["scrape_configs"]}
    (found,) = jobs["switchboard-worker"]["dns_sd_configs"]
    assert found["names"] == ["worker"] and str(found["port"]) == port


def test_the_bot_api_server_is_only_in_its_profile(deploy_copy: Path) -> None:
    # Debian's docker-compose (1.29) lists every service in `config`; the profile is read here.
    result = _compose(deploy_copy, "--profile", "local-bot-api", "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert services["telegram-bot-api"]["profiles"] == ["local-bot-api"]
    assert [name for name, s in services.items() if "profiles" in s] == ["telegram-bot-api"]


def test_compose_refuses_to_start_without_a_database_password(deploy_copy: Path) -> None:
    (deploy_copy / ".env").write_text("")
    result = _compose(deploy_copy, "config")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_a_broken_compose_file_fails_the_check(deploy_copy: Path) -> None:
    compose = deploy_copy / "compose.yaml"
    compose.write_text(
        compose.read_text().replace("    deploy:\n      replicas: 2", "    deploy: 2", 1)
    )
    assert _compose(deploy_copy, "config", "-q").returncode != 0


def test_every_mounted_config_file_exists() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), (name, source)


def _self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bots.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    (folder / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` of `site` inside a minimal main configuration, as the nginx image includes
    conf.d/default.conf; `serve:8080` (Docker's name) becomes a local address."""
    certs = tmp_path / "certs"
    certs.mkdir(exist_ok=True)
    _self_signed(certs)
    site = site.replace("serve:8080", "127.0.0.1:8080").replace("/etc/nginx/certs", str(certs))
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
        f"  proxy_temp_path {tmp_path}/proxy;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    return subprocess.run(
        [required_tool("nginx", "nginx"), "-t", "-q", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_nginx_config_is_valid(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "switchboard.conf").read_text()
    result = _nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr
    assert "location /telegram/" in site
    assert "ssl_certificate" in site


def test_a_broken_nginx_config_fails_the_check(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "switchboard.conf").read_text()
    result = _nginx_test(
        tmp_path, site.replace("proxy_pass http://switchboard_serve;", "proxy_pass", 1)
    )
    assert result.returncode != 0


def _stages(dockerfile: str) -> list[str]:
    return re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]


def test_the_image_is_multi_stage_non_root_healthchecked_and_without_build_tools() -> None:
    stages = _stages((DEPLOY / "Dockerfile").read_text())
    assert len(stages) >= 2
    build, final = stages[0], stages[-1]
    assert "uv sync --frozen --no-dev" in build
    assert "COPY --from=build" in final and "/app/.venv" in final
    # Only the virtual environment comes from the build stage: not uv, not a compiler.
    assert not re.search(r"\buv\b", final), final
    for tool in ("gcc", "build-essential", "python3-dev", "libpq-dev", "astral-sh/uv"):
        assert tool not in final, tool
    user = re.findall(r"^USER (\S+)", final, flags=re.MULTILINE)
    assert user and not user[-1].startswith(("root", "0")), user
    assert re.search(r"^HEALTHCHECK .*", final, flags=re.MULTILINE)
    assert "/healthz" in final.split("HEALTHCHECK", 1)[1].split("\nENTRYPOINT", 1)[0]


def test_every_deploy_yaml_file_parses() -> None:
    files = [p for p in DEPLOY.rglob("*.y*ml") if p.suffix in (".yaml", ".yml")]
    assert len(files) >= 10
    for path in files:
        assert list(yaml.safe_load_all(path.read_text())), path

"""The deployment files in deploy/ (docs/operations.md, "Production on one server"):
systemd units that run real `shequ` commands with real options, hardened; an environment
sample that passes the production checks once its keys are filled in; an nginx sample whose
limits fit the platform's own."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from shequ import cli, production

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
SHEQU = "/opt/shequ/venv/bin/shequ"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "User": "shequ",
    "CapabilityBoundingSet": "",
}


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def argv_of(command: str) -> list[str]:
    words = shlex.split(command.replace("%H", "host"))
    assert words[0] == SHEQU, command
    return words[1:]


def test_the_three_services_are_shipped() -> None:
    assert [p.name for p in UNITS] == [
        "shequ-flood-ingest.service",
        "shequ-web.service",
        "shequ-worker.service",
    ]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_starts_a_real_shequ_command(path: Path) -> None:
    service = unit(path)["Service"]
    argv = argv_of(service["ExecStart"])
    args = cli.parser().parse_args(argv)  # an unknown option exits here
    expected = {"shequ-web": "serve", "shequ-worker": "worker", "shequ-flood-ingest": "flood"}
    assert args.command == expected[path.stem]
    if args.command == "serve":
        assert args.host == "127.0.0.1" and args.workers > 1
    if args.command == "flood":
        assert args.flood_command == "ingest"


def test_the_web_unit_collects_the_static_files_nginx_serves() -> None:
    from django.core.management import get_commands, load_command_class

    service = unit(DEPLOY / "systemd" / "shequ-web.service")["Service"]
    argv = argv_of(service["ExecStartPre"])
    assert argv[:2] == ["manage", "collectstatic"]
    command = load_command_class(get_commands()["collectstatic"], "collectstatic")
    options = command.create_parser("shequ manage", "collectstatic").parse_args(argv[2:])
    assert options.interactive is False
    nginx = (DEPLOY / "nginx" / "shequ.conf").read_text()
    static_root = _env_sample()["SHEQU_STATIC_ROOT"]
    assert f"alias {static_root}/;" in nginx
    assert service["CacheDirectory"] == Path(static_root).name


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_is_hardened_and_reads_the_environment_file(path: Path) -> None:
    service = unit(path)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == value, (path.name, key)
    assert service["EnvironmentFile"] == "/etc/shequ/shequ.env"
    # A refused configuration exits 2 (shequ.production): no restart loop.
    assert service["RestartPreventExitStatus"] == "2"


def _env_sample() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "shequ.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_the_environment_sample_holds_no_secret_and_passes_once_filled_in() -> None:
    sample = _env_sample()
    secrets = ("SHEQU_SECRET_KEY", "SHEQU_FERNET_KEYS", "SHEQU_PII_HMAC_KEY")
    assert all(sample[name].startswith("<") for name in secrets)
    assert ":<password>@" in sample["SHEQU_DATABASE_URL"]
    filled = dict(sample)
    filled["SHEQU_SECRET_KEY"] = filled["SHEQU_PII_HMAC_KEY"] = "x" * 30 + "A9#kQz!2Lm7@Wb4^Tr8&"
    filled["SHEQU_FERNET_KEYS"] = Fernet.generate_key().decode()
    assert production.problems(filled) == []
    assert production.warnings(filled) == []
    found = production.problems(sample)
    assert len(found) == 3 and all("too short" in p or "not a Fernet key" in p for p in found)


def _nginx_size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", text).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_nginx_limits_fit_the_platforms_own() -> None:
    text = (DEPLOY / "nginx" / "shequ.conf").read_text()
    sizes = [_nginx_size(s) for s in re.findall(r"client_max_body_size (\w+);", text)]
    # The default limit lets the largest image through with its multipart envelope...
    assert sizes[0] >= settings.FLOOD_IMAGE_MAX_BYTES + 64 * 1024
    assert sizes[0] >= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    timeouts = [int(t) for t in re.findall(r"proxy_read_timeout (\d+)s;", text)]
    # ... and a hub query has its whole time before nginx gives up on it.
    assert min(timeouts) > settings.HUB_QUERY_TIMEOUT
    for header in ("Host $host", "X-Forwarded-For", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header}" in text
    assert _env_sample()["SHEQU_TLS_PROXY_HEADER"] == "X-Forwarded-Proto"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    shequ = Path(sys.executable).with_name("shequ")
    for path in UNITS:
        text = path.read_text().replace(SHEQU, str(shequ))
        text = text.replace("/etc/shequ/shequ.env", str(DEPLOY / "shequ.env.example"))
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, sorted(tmp_path.glob("*.service")))],
        capture_output=True,
        text=True,
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if ("shequ" in line and "ignoring" in line) or "Unknown" in line
    ]
    assert complaints == []


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx not installed")
def test_nginx_accepts_the_sample(tmp_path: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=shequ.example.gov.cn",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx" / "shequ.conf").read_text()
    site = site.replace("/etc/ssl/shequ/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/shequ/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr

"""README "Put it on the web": every command of the section run as written, against `papertrend web` behind nginx
(TLS with a self-signed certificate, the repository's own site file), outputs checked."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import self_signed_certificate
from tests.readme import console_commands, reader_env
from tests.web.conftest import send, web_settings
from warehouse.audience import connect_audience
from warehouse.subscribers import Subscriber, add_subscribers, subscribers, valid_subscriber

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://papers.example.org"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, **kwargs) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1, **kwargs)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"{url} never answered")


@pytest.fixture
def nginx():
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing: CI installs it with `make ci-packages`")
        pytest.skip("nginx is not installed (make ci-packages)")
    return found


def test_the_put_it_on_the_web_commands_run_as_written(site_dir, smtp, nginx, tmp_path, built_site):
    commands = console_commands("Put it on the web")
    assert [c.split()[0] for c, _ in commands] == ["papertrend", "curl", "make", "curl"]
    web_port, tls_port = _port(), _port()
    local = f"https://127.0.0.1:{tls_port}"
    settings = web_settings(site_dir, smtp, web_base_url=PUBLIC, web_trusted_proxy="127.0.0.1")
    with connect_audience(settings.audience_path) as store:
        add_subscribers(store, [valid_subscriber(Subscriber("ada@example.org"))])
    send(built_site, settings, "weekly", built_site[1][-1])
    token = re.search(r"/unsubscribe/([0-9a-f]{40})>", smtp.received[0].message["List-Unsubscribe"]).group(1)

    # nginx with the repository's site file: our certificate and ports in place of the README's.
    cert, key = self_signed_certificate(tmp_path)
    site = (ROOT / "deploy/nginx/papertrend.conf").read_text()
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl").replace(
        "127.0.0.1:8000", f"127.0.0.1:{web_port}"
    )
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; daemon off;\n"
        f"events {{}}\nhttp {{ client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf; }}\n"
    )
    proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    # As a reader's shell runs them: not as a sub-make of `make test` (which would print its directory).
    env = reader_env() | {
        "PAPERTREND_DATA_DIR": str(site_dir),
        "PAPERTREND_WEB_BASE_URL": PUBLIC,
        "PAPERTREND_WEB_TRUSTED_PROXY": "127.0.0.1",
        "CURL_CA_BUNDLE": str(cert),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    (web_command, web_output), *others = commands
    # Not through a shell: terminate() must reach the server itself.
    server = subprocess.Popen(
        shlex.split(web_command.replace("8000", str(web_port))), env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        _wait(f"http://127.0.0.1:{web_port}/healthz")
        assert server.stdout is not None
        assert server.stdout.readline().strip() == web_output[0].replace("8000", str(web_port))
        _wait(f"{local}/healthz", verify=str(cert))
        for command, shown in others:
            command = command.replace(PUBLIC, local).replace("TOKEN", token)
            result = subprocess.run(command, shell=True, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
            assert result.stdout.strip().splitlines()[-1] == shown[-1], command
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stdout:
            server.stdout.close()
        proxy.terminate()
        proxy.wait(timeout=20)
    with connect_audience(settings.audience_path) as store:
        assert subscribers(store) == []  # the README's one-click POST, through the proxy, unsubscribed Ada

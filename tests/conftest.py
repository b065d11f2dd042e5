"""A moto server on 127.0.0.1, shared by the HTTP test suites (tests/integration, tests/verification).

The server starts the first time a test asks for it and stops when the session ends. Each test that
uses ``aws_endpoint`` starts from an empty server and talks to it through ``AWS_ENDPOINT_URL`` with
fake credentials, so nothing can reach a real account.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_STARTUP_SECONDS = 30


def moto_server_command() -> list[str]:
    """The ``moto_server`` script of this interpreter's environment, else the module it runs."""
    script = Path(sys.executable).with_name("moto_server")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "moto.server"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(
        f"moto_server did not answer on {url} within {_STARTUP_SECONDS} s:\n{log.read_text()[-2000:]}"
    )


@dataclass(frozen=True)
class MotoServer:
    url: str

    def reset(self) -> None:
        """Forget every resource (moto's own reset API)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def point_boto3_at(self, monkeypatch: pytest.MonkeyPatch, scratch: Path) -> None:
        """Every boto3 client created from now on talks to the server, with fake credentials, no profile."""
        for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", self.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(scratch / "no-aws-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(scratch / "no-aws-credentials"))


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """A running moto server on 127.0.0.1."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto_server") / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [*moto_server_command(), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(url, process, log)
        yield MotoServer(url)
    finally:
        process.terminate()
        try:
            # The server exits at once unless a client still holds a keep-alive connection open; it
            # keeps no state worth waiting for.
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def aws_endpoint(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The URL of an emptied moto server that every boto3 client of this test talks to."""
    moto_server.reset()
    moto_server.point_boto3_at(monkeypatch, tmp_path)
    return moto_server.url

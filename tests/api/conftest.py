"""HTTP fixtures: an in-process TestClient, and a real uvicorn server on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from tests.conftest import cli_env

TOKEN = "test-token-123"
LOCAL = "http://127.0.0.1"  # TestClient base URL: a loopback host, as the served names allow


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(index_dir: Path, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """Start `abstracts serve` on a free port and wait until /health answers."""
    port = free_port()
    env = {**cli_env(), **(extra_env or {})}
    abstracts = Path(sys.executable).with_name("abstracts")
    proc = subprocess.Popen(
        [str(abstracts), "serve", "--index", str(index_dir), "--port", str(port), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stderr.read()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("server did not answer /health within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server started by start_server."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def client(index_copy):
    """A TestClient over a private copy of the bundled index, writes allowed with the test token."""
    app = create_app(Settings(index=index_copy, api_token=TOKEN))
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    """The Authorization header for writes."""
    return {"Authorization": f"Bearer {TOKEN}"}


def serve_copy(bundled_index: Path, tmp_path_factory, name: str):
    """Serve a private copy of the bundled index with the test token; yield the base URL, then stop."""
    import shutil

    index_dir = tmp_path_factory.mktemp(name) / "index"
    shutil.copytree(bundled_index, index_dir)
    proc, base = start_server(index_dir, {"ABSTRACTS_API_TOKEN": TOKEN})
    yield base
    stop_server(proc)


@pytest.fixture(scope="session")
def live_server(bundled_index, tmp_path_factory):
    """A real `abstracts serve` process over a copy of the bundled index; yields its base URL."""
    yield from serve_copy(bundled_index, tmp_path_factory, "live")

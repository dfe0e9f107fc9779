"""Run the app in a background thread on a free port (tests, benchmarks, CLI browser runs)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from edgeward.server.app import KEEP_ALIVE_S, create_app
from edgeward.settings import Settings


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(settings: Settings | None = None, host: str = "127.0.0.1",
                    timeout_s: float = 20.0, app: Any = None) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:PORT``) of a running server; stop it on exit.
    ``app``: serve this ASGI app (e.g. a test's variant of ours) instead of ``create_app(settings)``."""
    port = free_port(host)
    config = uvicorn.Config(app if app is not None else create_app(settings), host=host, port=port,
                            log_level="warning", lifespan="off", timeout_keep_alive=KEEP_ALIVE_S)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"edgeward-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the server on {host}:{port} did not start within {timeout_s} s")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def start_server_process(settings: Settings, port: int | None = None, timeout_s: float = 60.0,
                         ready_path: str = "/api/v1/federated/tasks") -> tuple[subprocess.Popen[bytes], str]:
    """``edgeward serve`` in its own process on ``settings``' home, token and database (a real deployment's
    shape: what a kill -9 or a second process sharing the database is tested on). Returns the process and
    its base URL once ``ready_path`` answers 200; the caller stops it (``proc.kill()``)."""
    port = port or free_port()
    env = {**os.environ, "EDGEWARD_HOME": str(settings.home)}
    for var in ("EDGEWARD_REGISTRY_URL", "EDGEWARD_BLOB_DIR", "EDGEWARD_REGISTRY_TOKEN", "EDGEWARD_DATABASE_URL"):
        env.pop(var, None)
    if settings.registry_token:
        env["EDGEWARD_REGISTRY_TOKEN"] = settings.registry_token
    if settings.database_url:
        env["EDGEWARD_DATABASE_URL"] = settings.database_url
    if settings.blob_dir:
        env["EDGEWARD_BLOB_DIR"] = str(settings.blob_dir)
    env["EDGEWARD_MAX_UPLOAD_BYTES"] = str(settings.max_upload_bytes)
    proc = subprocess.Popen([sys.executable, "-m", "edgeward.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server process on port {port} exited with status {proc.returncode}")
        try:
            if httpx.get(url + ready_path).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the server process on port {port} did not start within {timeout_s} s")

"""Shared fixtures for tests that drive real headless Chromium against the real server.

- ``server_url``: the Edgeward app on a free port (session-scoped; the PoseNet package is built first).
- ``browser_page(path="/apps/playground/", extra_args=())``: a fresh Chromium profile and page; page
  errors and console errors are collected in ``opened.errors``.
- ``fake_camera``: a .y4m clip of real photos for ``--use-file-for-fake-video-capture``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from edgeward.bench.camera import sample_images, write_y4m
from edgeward.browser.chromium import launch_chromium
from edgeward.browser.harness import HARNESS_PATH
from edgeward.package.manifest import Manifest, pick_variant
from edgeward.server.background import serve_in_thread


def browser_variant(manifest: Manifest) -> str:
    """The file the browser runtime runs unasked here (no WebGPU adapter): the variant made for Edgeward's kernels
    (int8-kernels, its gate passed) where the package has one, else the one made for WASM (pick_variant)."""
    made = pick_variant(manifest, "kernels")
    return made if made == "int8-kernels" else pick_variant(manifest, "wasm")


def browser_backend(manifest: Manifest) -> str:
    """The backend that file runs on: 'kernels' for int8-kernels, else onnxruntime-web's 'wasm'."""
    return "kernels" if browser_variant(manifest) == "int8-kernels" else "wasm"


@dataclass
class OpenedPage:
    page: Any
    context: Any
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@contextmanager
def harness_page(playwright_instance: Any, server_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    """The test harness page in a fresh profile, ready; for module fixtures that reuse one worker."""
    context = launch_chromium(playwright_instance, tmp_path_factory.mktemp("profile"))
    opened = OpenedPage(context.new_page(), context)
    opened.page.on("pageerror", lambda err: opened.errors.append(str(err)))
    opened.page.goto(server_url + HARNESS_PATH)
    opened.page.wait_for_function("() => document.body.dataset.status === 'ready'")
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # one person, two side by side, the first mirrored (edgeward.bench.camera.sample_images)
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    return write_y4m(path, sample_images())


@pytest.fixture(scope="session")
def server_url(posenet_dir: Path) -> Iterator[str]:
    with serve_in_thread() as url:
        yield url


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture
def browser_page(playwright_instance: Any, server_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., OpenedPage]]:
    contexts: list[Any] = []

    def open_page(path: str = "/apps/playground/", extra_args: Sequence[str] = (),
                  wait_ready: bool = True, timeout_ms: int = 60_000) -> OpenedPage:
        profile = tmp_path_factory.mktemp("chromium-profile")
        context = launch_chromium(playwright_instance, profile, extra_args)
        contexts.append(context)
        page = context.new_page()
        opened = OpenedPage(page, context)
        page.on("pageerror", lambda err: opened.errors.append(f"pageerror: {err}"))

        def on_console(msg: Any) -> None:
            opened.console.append(f"{msg.type}: {msg.text}")
            if msg.type == "error":
                opened.errors.append(f"console error: {msg.text}")

        page.on("console", on_console)
        page.goto(server_url + path)
        if wait_ready:
            page.wait_for_function("() => document.body.dataset.status && document.body.dataset.status !== 'loading'",
                                   timeout=timeout_ms)
        return opened

    yield open_page
    for context in contexts:
        context.close()

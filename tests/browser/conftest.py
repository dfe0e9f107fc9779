"""Shared fixtures for tests that drive real headless Chromium against the real server.

- ``server_url``: the Edgeward app on a free port (session-scoped; the PoseNet package is built first).
- ``browser_page(path="/apps/playground/", extra_args=())``: a fresh Chromium profile and page; page
  errors and console errors are collected in ``opened.errors``.
- ``fake_camera``: a .y4m clip of real photos for ``--use-file-for-fake-video-capture``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgeward.browser.chromium import launch_chromium
from edgeward.server.background import serve_in_thread


@dataclass
class OpenedPage:
    page: Any
    context: Any
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def _rgb_to_i420(rgb: np.ndarray) -> bytes:
    """BT.601 limited-range I420 (what Chromium's y4m reader assumes)."""
    f = rgb.astype(np.float64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def sub(c: np.ndarray) -> np.ndarray:
        return (c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2]) / 4

    planes = [y, sub(u), sub(v)]
    return b"".join(np.clip(np.round(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def _fit(img: np.ndarray, w: int, h: int) -> np.ndarray:
    from PIL import Image

    im = Image.fromarray(img).convert("RGB")
    im.thumbnail((w, h))
    canvas = Image.new("RGB", (w, h), (0, 0, 0))
    canvas.paste(im, ((w - im.width) // 2, (h - im.height) // 2))
    return np.asarray(canvas)


def write_y4m(path: Path, images: Sequence[np.ndarray], width: int = 640, height: int = 480,
              fps: int = 10, repeat: int = 5) -> Path:
    """A 4:2:0 YUV4MPEG2 clip: each image (letterboxed to width × height) shown for ``repeat`` frames."""
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for img in images:
            frame = _rgb_to_i420(_fit(img, width, height))
            for _ in range(repeat):
                f.write(b"FRAME\n" + frame)
    return path


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from skimage import data

    astronaut = data.astronaut()
    people = np.concatenate([astronaut[::2, ::2]] * 2, axis=1)  # two people side by side
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    return write_y4m(path, [astronaut, people, np.fliplr(astronaut)])


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

"""Launch the system Chromium through Playwright with the flags this project relies on.

Playwright refuses ``--user-data-dir`` in launch args, so a persistent context on a temp folder
is used instead. Never runs ``playwright install``: the binary comes from settings (Debian chromium).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edgeward.errors import BrowserStartError, ToolMissingError
from edgeward.settings import get_settings

BASE_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def fake_camera_args(y4m: Path) -> list[str]:
    """Flags that make getUserMedia return the frames of a .y4m file without a permission prompt."""
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    ]


def launch_chromium(playwright: Any, user_data_dir: Path, extra_args: Sequence[str] = (),
                    headless: bool = True, executable: Path | None = None, **kwargs: Any) -> Any:
    """A Playwright persistent BrowserContext on the system Chromium."""
    exe = executable or get_settings().chromium
    if not Path(exe).is_file():
        raise ToolMissingError(f"{exe}: Chromium not found; install it or set EDGEWARD_CHROMIUM")
    try:
        return playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=str(exe), headless=headless,
            args=[*BASE_ARGS, *extra_args], **kwargs,
        )
    except Exception as e:  # playwright's Error: the first line says why (exit status, missing library)
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BrowserStartError(f"{exe}: Chromium did not start: {reason}") from None


@contextmanager
def chromium_context(extra_args: Sequence[str] = (), headless: bool = True, **kwargs: Any) -> Iterator[Any]:
    """Start Playwright and Chromium on a fresh profile; close both (and delete the profile) on exit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ToolMissingError("playwright is not installed: pip install 'edgeward[browser]'") from None
    with tempfile.TemporaryDirectory(prefix="edgeward-chromium-") as profile, sync_playwright() as p:
        context = launch_chromium(p, Path(profile), extra_args, headless=headless, **kwargs)
        try:
            yield context
        finally:
            context.close()

"""Make docs/screenshots/federated.png: the federated dashboard after a real simulated run (10 Python
clients on the digits, 5 rounds, clipping and DP noise) on a server in this process, in headless Chromium.

    .venv/bin/python scripts/screenshot_federated.py [docs/screenshots/federated.png]
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from playwright.sync_api import sync_playwright

from edgeward.browser.chromium import launch_chromium
from edgeward.federated.simulate import SimConfig, simulate
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings


def main(out: Path) -> None:
    token = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(get_settings(), home=Path(tmp) / "home", registry_token=token, registry_url=None,
                           database_url=None, blob_dir=None)
        with serve_in_thread(settings) as url:
            config = SimConfig(clients=10, rounds=5, local_epochs=3, clip_norm=2.0, dp_noise=0.3, hidden=32)
            report = simulate(config, server=(url, token), task="digits-demo")
            print("held-out accuracy per version:", [round(r["accuracy"], 3) for r in report["rounds"]])
            with sync_playwright() as p:
                context = launch_chromium(p, Path(tmp) / "profile", viewport={"width": 1400, "height": 980})
                page = context.new_page()
                page.goto(f"{url}/apps/federated/?task=digits-demo")
                page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
                context.close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots/federated.png"))

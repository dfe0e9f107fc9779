"""The federated dashboard (/apps/federated/) in headless Chromium, on a real coordinator: two rounds
published from Python clients (one update refused), DP on — the page shows every published round, the
refusal by its code, ε for the task's δ, the current round's progress and the update-norm histogram."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from edgeward.browser.chromium import launch_chromium
from edgeward.server.background import serve_in_thread
from tests.federated.fedserver import API, P, create, fed_settings, join, send, tiny_spec

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def coordinator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    settings = fed_settings(tmp_path_factory.mktemp("fed"))
    with serve_in_thread(settings) as url, httpx.Client(base_url=url) as http:
        create(http, tiny_spec(dp_noise_multiplier=1.0, clip_norm=0.5))
        rng = np.random.default_rng(0)
        for round_ in (1, 2):
            clients = [join(http) for _ in range(2)]
            nan = np.full(P, np.nan, dtype=np.float32)  # refused ('nan'), counted, never aggregated
            refused = send(http, clients[0], nan, round=round_, base_version=round_ - 1)
            assert (refused.status_code, refused.json()["code"]) == (422, "nan")
            for c in clients:
                r = send(http, c, (rng.normal(size=P) * 0.3).astype(np.float32), round=round_,
                         base_version=round_ - 1)
                assert r.status_code == 201, r.text
        third = join(http)  # round 3 collects: one update in
        assert send(http, third, np.full(P, 0.1, np.float32), round=3, base_version=2).status_code == 201
        yield url, http.get(f"{API}/tasks/tiny/dashboard").json()


def test_the_dashboard_shows_rounds_refusals_epsilon_and_norms(playwright_instance: Any, coordinator: Any,
                                                              tmp_path: Path) -> None:
    url, truth = coordinator
    assert [r["round"] for r in truth["rounds"]] == [1, 2] and truth["epsilon"] > 0
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/apps/federated/")
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        rows = page.locator("#rounds tbody tr")
        assert rows.count() == 2
        first = rows.nth(0).locator("td").all_inner_texts()
        assert first[0] == "1" and first[1] == "tiny@1.1.0" and first[4] == "2"
        assert first[5] == "1 (nan ×1)"
        assert page.locator("#version").inner_text() == "tiny@1.2.0"
        assert page.locator("#round").inner_text() == "3 · collecting"
        assert "1 of 2 updates in" in page.locator("#current").inner_text()
        epsilon = page.locator("#epsilon").inner_text()
        assert epsilon.startswith("ε ") and "δ 1e-5" in epsilon
        assert math.isclose(float(epsilon.split()[1]), truth["epsilon"], rel_tol=1e-2)
        norms = page.locator("#norms-chart").get_attribute("aria-label") or ""
        assert "1 updates" in norms and "round 3 so far" in norms
        accuracy = page.locator("#accuracy-chart").get_attribute("aria-label") or ""
        assert ", round 2: " in accuracy, accuracy  # the last published round's point is drawn
        rules = page.locator("#rules").inner_text()
        assert "fedavg" in rules and "0.5" in rules
        assert errors == [] and page.evaluate("globalThis.__dashboard.errors") == []
        page.screenshot(path=str(tmp_path / "dashboard.png"))
    finally:
        context.close()

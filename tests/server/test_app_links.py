"""Every demo app links to every other from its header, in the same order, marking itself as the
current page — so each app is reachable from any of them (the start page redirects to the playground)."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).parents[2] / "web" / "apps"
NAV = re.compile(r'<nav class="apps"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="/apps/([a-z-]+)/"( aria-current="page")?>')


def test_every_app_links_to_every_app_and_marks_itself() -> None:
    pages = {p.parent.name: p.read_text() for p in sorted(WEB.glob("*/index.html"))}
    apps = {name: html for name, html in pages.items() if NAV.search(html)}
    expected = {"playground", "detect", "classify", "classifier-trainer", "pose-trainer", "try-on", "federated"}
    assert expected <= set(apps)
    orders = {}
    for name, html in apps.items():
        links = LINK.findall(NAV.search(html).group(1))  # type: ignore[union-attr]
        orders[name] = [target for target, _ in links]
        assert [t for t, current in links if current] == [name], f"{name}: aria-current must mark itself"
    assert len({tuple(o) for o in orders.values()}) == 1, orders
    assert sorted(next(iter(orders.values()))) == sorted(apps)

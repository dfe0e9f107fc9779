"""web/tools/build.mjs's bundles: the server answers an app's page module and an app's worker with one
bundled file each (and the chunks they import) only while every source they were made from is unchanged;
otherwise with the sources. The runtime's own modules are never bundled. The bundles import nothing but
their own chunks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edgeward.server.app import create_app
from tests.server.built_web import built_web, settings_for

ENTRIES = ["/apps/playground/app.js", "/apps/playground/worker.js", "/apps/pose-trainer/worker.js",
           "/apps/detect/app.js"]
# kit/sw-shell.js's two patterns: what the service worker follows to find the modules to keep offline
IMPORT_RE = re.compile(r"""^\s*(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?['"]([^'"]+)['"]""", re.M)
DYNAMIC_IMPORT_RE = re.compile(r"""\bimport\(\s*['"]([^'"]+)['"]\s*\)""")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_web(tmp_path_factory.mktemp("bundles"))


@pytest.fixture
def client(web: Path, tmp_path: Path) -> Iterator[TestClient]:
    yield TestClient(create_app(settings_for(web, home=tmp_path / "home")))


def _build(web: Path) -> dict[str, dict]:
    return {b["url"]: b for b in json.loads((web / "dist" / "build.json").read_text())["bundles"]}


def _source(web: Path, url: str) -> bytes:
    if url.startswith("/runtime/"):
        return (web / "src" / url.removeprefix("/runtime/")).read_bytes()
    return (web / "apps" / url.removeprefix("/apps/")).read_bytes()


def _chunk_urls(bundle: dict) -> list[str]:
    base = bundle["url"].rsplit("/", 1)[0]
    entry_dir = bundle["files"][0].rsplit("/", 1)[0]
    return [base + f.removeprefix(entry_dir) for f in bundle["files"][1:]]


def test_entries_are_served_from_their_bundles(web: Path, client: TestClient) -> None:
    build = _build(web)
    assert set(ENTRIES) <= set(build)
    for url in ENTRIES:
        bundle = build[url]
        served = client.get(url)
        assert served.status_code == 200 and served.headers["content-type"].startswith("text/javascript"), url
        assert served.content == (web / "dist" / bundle["files"][0]).read_bytes() != _source(web, url), url
        for chunk, rel in zip(_chunk_urls(bundle), bundle["files"][1:], strict=True):
            assert client.get(chunk).content == (web / "dist" / rel).read_bytes(), chunk
    assert len(_chunk_urls(build["/apps/playground/worker.js"])) >= 2  # training, federated rounds: on first use
    # the runtime's modules are never bundled: its worker and edgeward.js are the sources
    for url in ("/runtime/worker.js", "/runtime/edgeward.js"):
        assert url not in build and client.get(url).content == _source(web, url), url
    assert "apps/kit/controller.js" in build["/apps/playground/app.js"]["inputs"]


def test_an_edited_source_is_served_instead_until_it_matches_again(web: Path, client: TestClient) -> None:
    build = _build(web)
    source = web / "src" / "protocol.js"  # in every worker's bundle and most pages'
    original = source.read_bytes()
    worker = build["/apps/playground/worker.js"]
    assert "src/protocol.js" in worker["inputs"]
    try:
        source.write_bytes(original + b"// an edit\n")
        assert client.get("/apps/playground/worker.js").content == _source(web, "/apps/playground/worker.js")
        assert client.get("/apps/playground/app.js").content == _source(web, "/apps/playground/app.js")
        assert client.get(_chunk_urls(worker)[0]).status_code == 404  # chunks exist only in the build
        assert client.get("/apps/federated/app.js").content == (web / "dist/apps/federated/app.js").read_bytes()
    finally:
        source.write_bytes(original)  # the same bytes again (a new mtime): the bundle is good again
    assert client.get("/apps/playground/worker.js").content == (web / "dist" / worker["files"][0]).read_bytes()


def test_an_unreadable_build_serves_the_sources(web: Path, tmp_path: Path) -> None:
    build = web / "dist" / "build.json"
    original = build.read_bytes()
    try:
        build.write_text("{not json")
        client = TestClient(create_app(settings_for(web, home=tmp_path / "home")))
        assert client.get("/apps/playground/app.js").content == _source(web, "/apps/playground/app.js")
    finally:
        build.write_bytes(original)


def test_bundles_import_only_their_own_chunks_and_keep_their_module_urls(web: Path) -> None:
    for url, bundle in _build(web).items():
        files = {f"/{f}" for f in bundle["files"]}
        for rel in bundle["files"]:
            text = (web / "dist" / rel).read_text()
            assert "import.meta" not in text, rel  # each module's import.meta.url became its own URL
            for spec in IMPORT_RE.findall(text) + DYNAMIC_IMPORT_RE.findall(text):
                if spec.startswith("onnxruntime-web"):
                    continue  # wasmPaths 'bundled' only: the app's bundler resolves it
                target = "/" + str(Path(rel).parent / spec).replace("\\", "/")
                target = re.sub(r"/[^/]+/\.\./", "/", target)
                assert target in files, (url, rel, spec)
    worker = (web / "dist" / _build(web)["/apps/playground/worker.js"]["files"][0]).read_text()
    assert 'new URL("./manifest.schema.json", new URL("/runtime/manifest.js", self.location.href).href)' in worker


def test_bundled_false_serves_the_sources(web: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(settings_for(web, home=tmp_path / "home"), bundled=False))
    for url in ENTRIES:
        assert client.get(url).content == _source(web, url), url

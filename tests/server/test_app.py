"""The HTTP server: isolation headers, MIME types, package files, and no path traversal."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edgeward.package.manifest import parse_manifest
from edgeward.package.store import write_package
from edgeward.server.app import create_app, is_package_file
from edgeward.settings import get_settings

MODEL_BYTES = bytes(range(256)) * 10


def _manifest(version: str, data: bytes) -> dict:
    return {
        "name": "tiny", "version": version, "task": "pose",
        "files": {"fp32": {"path": "model.fp32.onnx", "sha256": hashlib.sha256(data).hexdigest(),
                           "bytes": len(data)}},
        "inputs": [{"name": "image", "dtype": "float32", "shape": [1, 33, 33, 3], "layout": "NHWC"}],
        "outputs": [{"name": "h", "dtype": "float32", "shape": [1, 3, 3, 2]}],
        "preprocess": {"size": [33, 33], "scale": 1 / 127.5, "offset": -1.0},
        "postprocess": {"kind": "posenet", "output_stride": 16, "keypoints": ["a", "b"], "skeleton": [[0, 1]],
                        "pose_chain": [[0, 1]], "outputs": {"heatmap": "h", "offset": "h"}},
        "provenance": {"source": "test", "converter": "test"},
        "license": "Apache-2.0",
    }


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = replace(get_settings(), home=tmp_path / "home")
    for version, data in [("1.0.0", MODEL_BYTES), ("1.2.0", MODEL_BYTES[::-1])]:
        src = tmp_path / f"model-{version}.onnx"
        src.write_bytes(data)
        write_package(parse_manifest(_manifest(version, data)), {"fp32": src}, settings.packages_dir)
    return TestClient(create_app(settings))


# The literal values a browser needs for crossOriginIsolated (SharedArrayBuffer, WASM threads) — not
# the server module's own constant, so a wrong constant fails here.
BROWSER_ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin"}


def _isolated(response) -> None:  # type: ignore[no-untyped-def]
    for key, value in BROWSER_ISOLATION.items():
        if key == "Cross-Origin-Resource-Policy" and is_package_file(response.request.url.path):
            value = "cross-origin"  # package files may be embedded by apps on other origins
        assert response.headers[key] == value, key


@pytest.mark.parametrize("url", ["/apps/playground/", "/runtime/edgeward.js", "/models/index.json",
                                 "/models/tiny/1.0.0/manifest.json", "/no/such/thing"])
def test_every_response_is_cross_origin_isolated(client: TestClient, url: str) -> None:
    _isolated(client.get(url))


def test_root_redirects_to_playground(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code in (302, 307) and r.headers["location"] == "/apps/playground/"
    r = client.get("/apps/playground", follow_redirects=False)
    assert r.headers["location"] == "/apps/playground/"


@pytest.mark.parametrize(("url", "media_type"), [
    ("/apps/playground/", "text/html"),
    ("/apps/playground/app.js", "text/javascript"),
    ("/apps/playground/style.css", "text/css"),
    ("/runtime/worker.js", "text/javascript"),
    ("/runtime/manifest.schema.json", "application/json"),
    ("/vendor/onnxruntime-web/ort.wasm.min.mjs", "text/javascript"),
    ("/vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm", "application/wasm"),
    ("/models/tiny/1.0.0/model.fp32.onnx", "application/octet-stream"),
])
def test_media_types(client: TestClient, url: str, media_type: str) -> None:
    r = client.get(url)
    assert r.status_code == 200, url
    assert r.headers["content-type"].split(";")[0] == media_type


def test_model_file_served_with_exact_bytes(client: TestClient) -> None:
    assert client.get("/models/tiny/1.0.0/model.fp32.onnx").content == MODEL_BYTES
    assert client.get("/models/tiny/latest/model.fp32.onnx").content == MODEL_BYTES[::-1]
    assert client.get("/models/tiny/latest/manifest.json").json()["version"] == "1.2.0"


def test_index_lists_packages(client: TestClient) -> None:
    packages = client.get("/models/index.json").json()["packages"]
    assert [(p["name"], p["version"]) for p in packages] == [("tiny", "1.0.0"), ("tiny", "1.2.0")]
    assert packages[0]["url"] == "/models/tiny/1.0.0/"


@pytest.mark.parametrize("url", [
    "/models/nope/1.0.0/manifest.json",
    "/models/tiny/9.9.9/manifest.json",
    "/models/nope/latest/manifest.json",
    "/models/tiny/1.0.0/other.bin",
    "/models/Tiny/1.0.0/manifest.json",
])
def test_unknown_package_or_file_is_404(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/runtime/../../pyproject.toml",
    "/runtime/%2e%2e/%2e%2e/pyproject.toml",
    "/runtime/..%2f..%2fpyproject.toml",
    "/apps/..%2f..%2fpyproject.toml",
    "/apps/playground/..%2F..%2F..%2Fpyproject.toml",
    "/vendor/onnxruntime-web/..%2fpackage.json",
    "/models/tiny/1.0.0/..%2f..%2f..%2fpackages",
    "/models/tiny/..%2f1.0.0/manifest.json",
    "/runtime/.hidden",
])
def test_path_traversal_is_rejected(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404, url
    assert b"[project]" not in r.content


@pytest.mark.parametrize("url", ["/apps/playground/", "/runtime/worker.js", "/apps/playground/worker.js",
                                 "/vendor/onnxruntime-web/ort-wasm-simd-threaded.mjs", "/no/such/thing"])
def test_content_security_policy_allows_exactly_what_the_runtime_needs(client: TestClient, url: str) -> None:
    csp = client.get(url).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"  # no 'unsafe-eval', no blob:
    assert directives["worker-src"] == "'self'"
    assert directives["object-src"] == "'none'"


@pytest.mark.parametrize("url", ["/models/tiny/1.0.0/model.fp32.onnx", "/models/tiny/latest/manifest.json"])
def test_package_files_are_shared_with_cors_and_corp(client: TestClient, url: str) -> None:
    r = client.get(url, headers={"Origin": "https://app.example"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "ETag" in r.headers["access-control-expose-headers"]
    other = client.get("/runtime/edgeward.js")
    assert other.headers["cross-origin-resource-policy"] == "same-origin"
    assert "access-control-allow-origin" not in other.headers


def test_registry_reads_that_find_packages_are_shared_cross_origin() -> None:
    # @edgeward/runtime's resolvePackage('posenet@^1', registry) runs in apps on other origins
    for path in ("/api/v1/packages/posenet/resolve", "/api/v1/packages/posenet/versions/1.0.0",
                 "/api/v1/packages/posenet/versions/1.0.0/files/model.fp32.onnx", "/api/v1/blobs/abc"):
        assert is_package_file(path), path
    for path in ("/api/v1/packages", "/api/v1/packages/posenet", "/api/v1/packages/posenet/versions",
                 "/api/v1/federated/tasks/t/checkin", "/runtime/edgeward.js"):
        assert not is_package_file(path), path


def test_playground_is_an_installable_pwa(client: TestClient) -> None:
    sw = client.get("/apps/playground/sw.js")
    assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
    assert sw.headers["cache-control"] == "no-cache"
    assert "service-worker-allowed" not in sw.headers  # its scope is its own folder
    ort_sw = client.get("/apps/kit/ort-sw.js")
    assert ort_sw.headers["service-worker-allowed"] == "/vendor/onnxruntime-web/"
    assert ort_sw.headers["cache-control"] == "no-cache"
    manifest = client.get("/apps/playground/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    data = manifest.json()
    assert data["scope"] == "./" and data["start_url"] == "./" and data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert client.get(f"/apps/playground/{icon['src']}").status_code == 200


def test_ranges_as_the_declared_starlette_floor_serves_them(client: TestClient) -> None:
    # pyproject's starlette>=1.5.1: package files and registry blobs are FileResponses with Range support.
    url = "/models/tiny/1.0.0/model.fp32.onnx"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == MODEL_BYTES[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(MODEL_BYTES)}"
    assert client.get(url, headers={"Range": "bytes=5-4"}).status_code == 400  # inverted: refused (1.5.1)
    many = ",".join(f"{i * 3}-{i * 3 + 1}" for i in range(101))  # over 100 ranges: the whole file (1.5.1)
    whole = client.get(url, headers={"Range": f"bytes={many}"})
    assert whole.status_code == 200 and whole.content == MODEL_BYTES


@pytest.mark.parametrize("url", ["/models/tiny/1.0.0/model.fp32.onnx", "/models/tiny/1.0.0/manifest.json",
                                 "/vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm", "/runtime/edgeward.js"])
def test_a_current_copy_is_revalidated_with_304_not_sent_again(client: TestClient, url: str) -> None:
    """Files are served no-cache, so a browser revalidates every use: a copy it holds costs a round trip,
    not the bytes again (onnxruntime-web's 14 MB .wasm, on every page load and service worker install)."""
    first = client.get(url)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'W/{etag}, "other"'}, {"If-None-Match": "*"},
                    {"If-Modified-Since": modified}):
        again = client.get(url, headers=headers)
        assert again.status_code == 304 and again.content == b"", headers
        assert again.headers["etag"] == etag and again.headers["cache-control"] == "no-cache"
        _isolated(again)
    for headers in ({"If-None-Match": '"stale"'}, {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
                    {"If-Modified-Since": "not a date"}, {"If-None-Match": '"stale"', "If-Modified-Since": modified}):
        changed = client.get(url, headers=headers)  # If-None-Match wins over If-Modified-Since (RFC 9110)
        assert changed.status_code == 200 and changed.content == first.content, headers


def test_a_rewritten_file_is_sent_again(client: TestClient, tmp_path: Path) -> None:
    url = "/models/tiny/1.0.0/model.fp32.onnx"
    etag = client.get(url).headers["etag"]
    path = tmp_path / "home" / "packages" / "tiny" / "1.0.0" / "model.fp32.onnx"
    path.write_bytes(MODEL_BYTES[::-1] + b"!")  # a new size, so a new ETag even within the same mtime tick
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.content == MODEL_BYTES[::-1] + b"!"

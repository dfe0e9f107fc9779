"""The registry HTTP API: publish, list, search, resolve, immutable downloads, and every refusal."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.conftest import AUTH, UPLOAD_LIMIT, model_bytes, publish, tiny_manifest

API = "/api/v1"


def test_publish_list_search_and_resolve(client: TestClient, published: Callable[..., Any]) -> None:
    for i, v in enumerate(["0.9.0", "1.0.0", "1.2.0", "1.2.5", "2.0.0-rc.1", "2.0.0", "3.0.0-beta.1"]):
        published("posenet", v, seed=i)
    published("movenet-thunder", "1.0.0", seed=9)
    names = [p["name"] for p in client.get(f"{API}/packages").json()["packages"]]
    assert names == ["movenet-thunder", "posenet"]
    found = client.get(f"{API}/packages", params={"q": "pose"}).json()["packages"]
    assert [p["name"] for p in found] == ["posenet"]
    assert found[0]["latest"] == "2.0.0"
    assert client.get(f"{API}/packages", params={"q": "%_"}).json()["packages"] == []  # wildcards are literal
    expect = {"^1": "1.2.5", "~1.2": "1.2.5", "~1.0": "1.0.0", "1.0.0": "1.0.0", "latest": "2.0.0", "*": "2.0.0",
              ">=1 <1.2.5": "1.2.0", "^2.0.0-rc.0": "2.0.0", "2.0.0-rc.1": "2.0.0-rc.1", "0.x || 1.0.0": "1.0.0",
              "^3.0.0-beta": "3.0.0-beta.1"}
    for rng, version in expect.items():
        r = client.get(f"{API}/packages/posenet/resolve", params={"range": rng})
        assert r.status_code == 200, (rng, r.text)
        assert r.json()["version"] == version, rng
    body = client.get(f"{API}/packages/posenet/resolve", params={"range": "^1"}).json()
    assert body["files"]["fp32"]["url"] == f"{API}/blobs/{body['files']['fp32']['sha256']}"
    assert body["base_url"] == f"{API}/packages/posenet/versions/1.2.5/files/"
    r = client.get(f"{API}/packages/posenet/resolve", params={"range": "^4"})
    assert r.status_code == 404 and "no version of 'posenet' matches '^4'" in r.json()["detail"]
    r = client.get(f"{API}/packages/posenet/resolve", params={"range": "^one"})
    assert r.status_code == 422 and "'one' is not a version" in r.json()["detail"]


def test_blob_download_is_immutable_with_etag_and_range(client: TestClient, published: Callable[..., Any]) -> None:
    data = model_bytes(5)
    info = published("tiny", "1.0.0", seed=5)["files"]["fp32"]
    r = client.get(info["url"])
    assert r.status_code == 200 and r.content == data
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert client.get(info["url"], headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    part = client.get(info["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert client.head(info["url"]).status_code == 200
    # The package as a folder a runtime can load: manifest.json + files, immutable too.
    base = f"{API}/packages/tiny/versions/1.0.0/files/"
    assert client.get(base + "manifest.json").json()["files"]["fp32"]["sha256"] == info["sha256"]
    assert client.get(base + "model.fp32.onnx").content == data
    assert client.get(base + "other.onnx").status_code == 404


def test_overwriting_a_published_version_is_refused(client: TestClient, published: Callable[..., Any]) -> None:
    published("tiny", "1.0.0", seed=1)
    for seed in (1, 2):  # the same bytes or different ones: never overwritten
        r = publish(client, "tiny", "1.0.0", model_bytes(seed))
        assert r.status_code == 409
        assert "tiny@1.0.0 is already published and can never be overwritten" in r.json()["detail"]
    assert client.get(f"{API}/packages/tiny/versions/1.0.0").json()["files"]["fp32"]["sha256"] == \
        hashlib.sha256(model_bytes(1)).hexdigest()


def test_publishing_needs_the_right_token(client: TestClient) -> None:
    data = model_bytes(1)
    digest = hashlib.sha256(data).hexdigest()
    r = client.put(f"{API}/blobs/{digest}", content=data)
    assert r.status_code == 401 and "bearer token" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.put(f"{API}/blobs/{digest}", content=data, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 403 and "not valid" in r.json()["detail"]
    r = client.put(f"{API}/packages/tiny/versions/1.0.0", json=tiny_manifest("tiny", "1.0.0", data),
                   headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401
    assert client.get(f"{API}/packages").json()["packages"] == []


def test_publishing_is_disabled_without_a_server_token(registry_settings: Any) -> None:
    from dataclasses import replace

    from edgeward.server.app import create_app

    with TestClient(create_app(replace(registry_settings, registry_token=None))) as c:
        r = c.put(f"{API}/blobs/{'0' * 64}", content=b"x", headers=AUTH)
    assert r.status_code == 403 and "publishing is disabled" in r.json()["detail"]


def test_oversized_uploads_are_refused(client: TestClient, registry_settings: Any) -> None:
    big = b"\0" * (UPLOAD_LIMIT + 1)
    digest = hashlib.sha256(big).hexdigest()
    r = client.put(f"{API}/blobs/{digest}", content=big, headers=AUTH)
    assert r.status_code == 413 and f"upload limit of {UPLOAD_LIMIT} bytes" in r.json()["detail"]

    def chunks() -> Any:  # no Content-Length: the limit is enforced while streaming
        for _ in range(5):
            yield b"\0" * (UPLOAD_LIMIT // 4)

    r = client.put(f"{API}/blobs/{digest}", content=chunks(), headers=AUTH)
    assert r.status_code == 413 and f"limit of {UPLOAD_LIMIT} bytes" in r.json()["detail"]
    assert all(p.is_dir() for p in registry_settings.registry_blob_dir.rglob("*"))  # nothing half-written left
    r = client.put(f"{API}/packages/tiny/versions/1.0.0", content=b"{" + b" " * (2 << 20) + b"}",
                   headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413 and "manifest.json" in r.json()["detail"]


def test_blob_bytes_must_hash_to_their_address(client: TestClient) -> None:
    r = client.put(f"{API}/blobs/{'a' * 64}", content=b"hello", headers=AUTH)
    assert r.status_code == 422 and "hash to sha256" in r.json()["detail"]
    assert client.get(f"{API}/blobs/{'a' * 64}").status_code == 404


@pytest.mark.parametrize("url", [
    f"{API}/blobs/..%2F..%2F..%2Fetc%2Fpasswd",
    f"{API}/blobs/../../etc/passwd",
    f"{API}/blobs/{'A' * 64}",
    f"{API}/packages/..%2F..%2Fetc/resolve",
    f"{API}/packages/Posenet/resolve",
    f"{API}/packages/tiny/versions/1.0.0/files/..%2F..%2Fregistry.db",
    f"{API}/packages/tiny/versions/1.0.0/files/%2Fetc%2Fpasswd",
    f"{API}/packages/tiny/versions/..%2F1.0.0/files/manifest.json",
])
def test_path_traversal_is_refused(client: TestClient, published: Callable[..., Any], url: str) -> None:
    published("tiny", "1.0.0")
    r = client.get(url)
    assert 400 <= r.status_code < 500, (url, r.status_code)
    assert r.json()["detail"], url
    assert b"root:" not in r.content


def test_traversal_in_a_published_manifest_is_refused(client: TestClient) -> None:
    data = model_bytes(3)
    m = tiny_manifest("tiny", "1.0.0", data, path="../../evil.onnx")
    r = publish(client, "tiny", "1.0.0", data, manifest=m)
    assert r.status_code == 422 and "field 'files.fp32.path'" in r.json()["detail"]
    r = client.put(f"{API}/packages/..%2Fx/versions/1.0.0", json=m, headers=AUTH)
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda m: m.update(smoothing=True), "unknown field 'smoothing'"),
    (lambda m: m["files"]["fp32"].update(sha256="xyz"), "field 'files.fp32.sha256'"),
    (lambda m: m.pop("license"), "field 'license': Field required"),
    (lambda m: m.update(version="1.0"), "field 'version'"),
    (lambda m: m.update(name="other"), "field 'name'/'version' says other@1.0.0"),
    (lambda m: m["files"]["fp32"].update(bytes=1), "field 'bytes' says 1"),
    (lambda m: m["files"]["fp32"].update(sha256="b" * 64), "has not been uploaded"),
])
def test_malformed_manifest_is_422_naming_the_field(client: TestClient, mutate: Callable[[dict], Any],
                                                     message: str) -> None:
    data = model_bytes(4)
    m = tiny_manifest("tiny", "1.0.0", data)
    mutate(m)
    r = publish(client, "tiny", "1.0.0", data, manifest=m)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    assert client.get(f"{API}/packages/tiny").status_code == 404


def test_invalid_json_manifest(client: TestClient) -> None:
    r = client.put(f"{API}/packages/tiny/versions/1.0.0", content=b"{not json",
                   headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422 and "manifest.json: not valid JSON" in r.json()["detail"]


def test_openapi_documents_the_registry(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ["/api/v1/packages", "/api/v1/packages/{name}/resolve", "/api/v1/blobs/{digest}",
                 "/api/v1/packages/{name}/versions/{version}"]:
        assert path in spec["paths"], path
    assert "put" in spec["paths"]["/api/v1/packages/{name}/versions/{version}"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert client.get(f"{API}/schema/manifest.json").json()["title"] == "Manifest"

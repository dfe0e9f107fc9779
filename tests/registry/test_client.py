"""The Python side: publish / pull / load through a live registry, verified; tampering is caught."""

from __future__ import annotations

import hashlib
import random
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import edgeward
from edgeward.cli import app as cli
from edgeward.errors import IntegrityError, PackageNotFoundError
from edgeward.package.manifest import FileEntry, read_manifest
from edgeward.package.store import package_dir, verify_file
from edgeward.registry.client import PackageConflictError, RegistryClient, RegistryError, fetch_package
from edgeward.server.background import free_port, serve_in_thread
from edgeward.settings import Settings, get_settings
from tests.registry.conftest import TOKEN, make_package, model_bytes


@pytest.fixture
def client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The client's EDGEWARD_HOME (its local store and cache), separate from the server's."""
    home = tmp_path / "client-home"
    monkeypatch.setenv("EDGEWARD_HOME", str(home))
    for var in ("EDGEWARD_REGISTRY_URL", "EDGEWARD_REGISTRY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def live(registry_settings: Settings, client_home: Path) -> Iterator[str]:
    with serve_in_thread(replace(registry_settings, max_upload_bytes=64 << 20)) as url:
        yield url


def blob_path(settings: Settings, digest: str) -> Path:
    return settings.registry_blob_dir / "sha256" / digest[:2] / digest


class Spy:
    """Counts verified downloads (each a full fetch of a file)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        original = RegistryClient._download_once

        def counted(client: RegistryClient, url: str, *args: Any) -> str:
            self.calls.append(url)
            return original(client, url, *args)

        monkeypatch.setattr(RegistryClient, "_download_once", counted)


def test_publish_then_load_a_range(live: str, tmp_path: Path, posenet_dir: Path, astronaut: Path) -> None:
    with RegistryClient(live, TOKEN) as c:
        assert c.publish(posenet_dir)["version"] == "1.0.0"
        with pytest.raises(RegistryError, match=r"409: posenet@1\.0\.0 is already published"):
            c.publish(posenet_dir)
    model = edgeward.load("posenet@^1", registry_url=live)
    assert model.directory == get_settings().packages_dir / "posenet" / "1.0.0"
    poses = model.estimate_poses(astronaut, score_threshold=0.3)
    reference = edgeward.load(str(posenet_dir)).estimate_poses(astronaut, score_threshold=0.3)
    assert poses == reference
    # Cached: with the registry gone, the same range still loads from the local store.
    dead = f"http://127.0.0.1:{free_port()}"
    assert edgeward.load("posenet@^1", registry_url=dead).directory == model.directory
    assert edgeward.load("posenet@~1.0").directory == model.directory  # no registry: the store answers
    with pytest.raises(PackageNotFoundError, match=r"no version of 'posenet' .* matches '\^2'"):
        edgeward.load("posenet@^2")


def test_model_file_tampered_on_the_registry_is_refetched_once_then_refused(
        live: str, registry_settings: Settings, posenet_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with RegistryClient(live, TOKEN) as c:
        c.publish(posenet_dir)
    entry = read_manifest(posenet_dir / "manifest.json").files["fp32"]
    blob = blob_path(registry_settings, entry.sha256)
    data = bytearray(blob.read_bytes())
    data[len(data) // 3] ^= 0x40  # one flipped bit in one byte, same size
    blob.write_bytes(bytes(data))
    spy = Spy(monkeypatch)
    with pytest.raises(IntegrityError, match=r"posenet@1\.0\.0/model\.fp32\.onnx: sha256 [0-9a-f]{64} does not "
                                             r"match manifest .*fetched 2 times"):
        edgeward.load("posenet@^1", registry_url=live)
    assert len(spy.calls) == 2
    target = get_settings().packages_dir / "posenet" / "1.0.0"
    assert not (target / "model.fp32.onnx").exists() and not (target / "manifest.json").exists()
    assert not list(target.glob(".*.part"))  # nothing half-written left behind

    blob.write_bytes(bytes(data[: len(data) // 2]))  # truncated on the server
    with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: got \d+ bytes, manifest says 5\d+"):
        edgeward.load("posenet@^1", registry_url=live)
    assert len(spy.calls) == 4


def test_a_tampered_cached_file_is_fetched_again(live: str, posenet_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with RegistryClient(live, TOKEN) as c:
        c.publish(posenet_dir)
    first = edgeward.load("posenet@1.0.0", registry_url=live)
    cached = first.directory / "model.fp32.onnx"
    data = bytearray(cached.read_bytes())
    data[1000] ^= 0xFF
    cached.write_bytes(bytes(data))
    spy = Spy(monkeypatch)
    again = edgeward.load("posenet@1.0.0", registry_url=live)  # repaired from the registry
    assert len(spy.calls) == 1
    assert cached.read_bytes() == (posenet_dir / "model.fp32.onnx").read_bytes()
    assert again.manifest == first.manifest
    cached.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: sha256 .* does not match"):
        edgeward.load("posenet@1.0.0")  # no registry to repair from: refused, never run


def test_a_download_cut_short_is_fetched_again_then_refused(client_home: Path, tmp_path: Path) -> None:
    data = model_bytes(7, 200_000)
    entry = FileEntry(path="m.onnx", sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    served: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(1)
        if len(served) == 1:  # first answer: the body stops half-way

            def body() -> Iterator[bytes]:
                yield data[: len(data) // 2]
                raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

            return httpx.Response(200, content=body(), headers={"Content-Length": str(len(data))})
        if len(served) == 2:
            return httpx.Response(200, content=data)
        return httpx.Response(200, content=b"<html>502 Bad Gateway</html>")

    dest = tmp_path / "m.onnx"
    with RegistryClient("http://registry.test", transport=httpx.MockTransport(handler)) as c:
        c.download("/api/v1/blobs/x", dest, entry, "tiny@1.0.0/m.onnx")
        assert dest.read_bytes() == data and len(served) == 2
        dest.unlink()
        with pytest.raises(IntegrityError, match=r"tiny@1\.0\.0/m\.onnx: got 28 bytes, manifest says 200000"):
            c.download("/api/v1/blobs/x", dest, entry, "tiny@1.0.0/m.onnx")
    assert not dest.exists() and not list(tmp_path.glob(".*.part"))


def test_twenty_random_flips_are_all_caught(posenet_dir: Path, tmp_path: Path) -> None:
    entry = read_manifest(posenet_dir / "manifest.json").files["fp32"]
    original = (posenet_dir / entry.path).read_bytes()
    rng = random.Random(2024)
    target = tmp_path / entry.path
    for _ in range(20):
        data = bytearray(original)
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: sha256 .* does not match"):
            verify_file(tmp_path, entry)
    target.write_bytes(original)
    assert verify_file(tmp_path, entry) == target


def test_a_different_local_package_under_the_same_version_is_not_overwritten(
        live: str, tmp_path: Path, client_home: Path) -> None:
    with RegistryClient(live, TOKEN) as c:
        c.publish(make_package(tmp_path, "tiny", "1.0.0", model_bytes(1)))
        local = make_package(tmp_path / "local", "tiny", "1.0.0", model_bytes(2))
        shutil.copytree(local, get_settings().packages_dir / "tiny" / "1.0.0")
        with pytest.raises(PackageConflictError, match=r"tiny/1\.0\.0/manifest\.json: a different tiny@1\.0\.0"):
            fetch_package(c, c.resolve("tiny@^1"))


def test_cli_publish_pull_list(live: str, tmp_path: Path, client_home: Path) -> None:
    runner = CliRunner()
    pkgs = [make_package(tmp_path, "tiny", v, model_bytes(i)) for i, v in enumerate(["1.0.0", "1.1.0", "2.0.0"])]
    for p in pkgs:
        r = runner.invoke(cli, ["publish", str(p), "--registry", live, "--token", TOKEN])
        assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["publish", str(pkgs[0]), "--registry", live, "--token", "wrong"])
    assert r.exit_code == 1 and "403" in r.output and "not valid" in r.output
    r = runner.invoke(cli, ["pull", "tiny@^1", "--registry", live])
    assert r.exit_code == 0, r.output
    assert "tiny@1.1.0" in r.output
    assert package_dir("tiny@^1") == get_settings().packages_dir / "tiny" / "1.1.0"
    r = runner.invoke(cli, ["list", "--registry", live])
    assert r.exit_code == 0 and "tiny" in r.output and "2.0.0" in r.output
    r = runner.invoke(cli, ["list"])
    assert r.exit_code == 0 and "1.1.0" in r.output
    r = runner.invoke(cli, ["pull", "tiny@^9", "--registry", live])
    assert r.exit_code == 1 and "no version of 'tiny' matches '^9'" in r.output


def test_pulling_one_variant_brings_the_files_it_runs_at_other_sizes(live: str, posenet_dir: Path,
                                                                     astronaut: Path) -> None:
    files = read_manifest(posenet_dir / "manifest.json").files
    if "int8" not in files or "fp32@257x257" not in files:
        pytest.fail("setup builds PoseNet with its 257x257 file and quantizes it to int8 (scripts/setup.sh)")
    with RegistryClient(live, TOKEN) as c:
        c.publish(posenet_dir)
    model = edgeward.load("posenet@^1", variant="int8", registry_url=live)
    assert sorted(p.name for p in model.directory.glob("*.onnx")) == ["model.fp32.257x257.onnx", "model.int8.onnx"]
    local = edgeward.load(str(posenet_dir), variant="int8")
    assert model.estimate_poses(astronaut, input_size=257) == local.estimate_poses(astronaut, input_size=257)

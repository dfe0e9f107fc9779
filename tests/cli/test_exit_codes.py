"""One real failing command per row of the exit-code table (src/edgeward/cli/exit_codes.py, README)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgeward import errors
from edgeward.cli import app
from edgeward.cli.exit_codes import ExitCode
from edgeward.optimize.quantize import QuantizationError
from edgeward.package.semver import VersionError
from edgeward.registry.client import PackageConflictError, RegistryError, RegistryUnavailableError
from edgeward.settings import get_settings
from tests.convert.tfjs_fixtures import small_cnn

runner = CliRunner()
OK, CHECK, INPUT, ENV = ExitCode.OK, ExitCode.CHECK_FAILED, ExitCode.BAD_INPUT, ExitCode.ENVIRONMENT


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set EDGEWARD_* variables for one test; settings are re-read before and after."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize(("error", "code"), [
    (errors.EdgewardError, CHECK), (errors.VerificationError, CHECK), (errors.ConversionError, CHECK),
    (errors.IntegrityError, CHECK), (QuantizationError, CHECK), (errors.BrowserError, CHECK),
    (RegistryError, CHECK), (PackageConflictError, CHECK),
    (errors.ModelFormatError, INPUT), (errors.ImageError, INPUT), (errors.ManifestError, INPUT),
    (errors.PackageNotFoundError, INPUT), (errors.OptionError, INPUT), (errors.TaskError, INPUT),
    (VersionError, INPUT),
    (errors.ToolMissingError, ENV), (errors.MissingExtraError, ENV), (errors.BrowserStartError, ENV),
    (errors.VendorFilesError, ENV),
    (RegistryUnavailableError, ENV),
])
def test_each_error_class_has_its_row(error: type[errors.EdgewardError], code: ExitCode) -> None:
    assert error.exit_code == code


def test_0_ok_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == OK and result.output == "edgeward 0.1.0\n"


def test_1_tampered_package_file_is_an_integrity_error(posenet_dir: Path, camera: Path, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in ("manifest.json", "model.fp32.onnx"):
        shutil.copyfile(posenet_dir / name, pkg / name)
    data = bytearray((pkg / "model.fp32.onnx").read_bytes())
    data[-1] ^= 1  # same size, different sha256
    (pkg / "model.fp32.onnx").write_bytes(bytes(data))
    result = runner.invoke(app, ["pose", str(camera), "--model", str(pkg)])
    assert result.exit_code == CHECK, result.output
    assert "does not match manifest" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["pose", "missing.jpg"], "missing.jpg: no such file"),  # ImageError
    (["quantize", "posenet", "--to", "int4"], "'int4' is not one of"),  # Typer's own usage error
    (["convert", "m.pt", "-o", "m.onnx", "--input-shape", "x=1,a"], "--input-shape 'x=1,a'"),  # OptionError
    (["classify", "photo.png", "--top-k", "0"], "top_k must be an integer >= 1"),  # OptionError
    (["zoo", "build", "nope"], "no zoo recipe named 'nope'"),
])
def test_2_bad_input(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == INPUT, result.output
    assert message in result.output and "Traceback" not in result.output


def test_2_unknown_package(camera: Path) -> None:
    result = runner.invoke(app, ["detect", str(camera), "--model", "no-such-model"])
    assert result.exit_code == INPUT and "package 'no-such-model' is not in" in result.output


def test_3_tfjs_conversion_without_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_json = small_cnn(tmp_path / "m", (32, 32))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no node on PATH
    result = runner.invoke(app, ["convert", str(model_json), "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == ENV, result.output
    assert "'node' is not on PATH" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("chromium", "message"), [
    ("/nonexistent/chromium", "Chromium not found"),  # ToolMissingError
    ("/bin/false", "Chromium did not start"),  # BrowserStartError: a binary that exits at once
])
def test_3_browser_missing_or_not_starting(posenet_dir: Path, camera: Path, settings_env: pytest.MonkeyPatch,
                                           chromium: str, message: str) -> None:
    # A process of its own: in-process, the browser tests' session-wide Playwright would refuse a
    # second sync Playwright in this thread before Chromium is even looked for.
    settings_env.setenv("EDGEWARD_CHROMIUM", chromium)
    result = subprocess.run([sys.executable, "-m", "edgeward.cli", "pose", str(camera), "--browser"],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ))
    output = result.stdout + result.stderr
    assert result.returncode == ENV, output
    assert message in output and "Traceback" not in output


def test_3_serve_without_the_runtime_files(settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings_env.setenv("EDGEWARD_NODE_MODULES", str(tmp_path / "node_modules"))  # no onnxruntime-web there
    result = runner.invoke(app, ["serve", "--port", "9"])
    assert result.exit_code == ENV, result.output
    output = " ".join(result.output.split())
    assert "onnxruntime-web files are missing" in output and "ort.wasm.min.mjs" in output
    assert "run `npm ci` in the folder it belongs to, or unset it" in output and "Traceback" not in output


def test_3_tfjs_fetch_offline(settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No TF.js beside the runtime (as in an installed wheel), none fetched yet, and no npm registry.
    model_json = small_cnn(tmp_path / "m", (32, 32))
    settings_env.setenv("EDGEWARD_NODE_MODULES", str(tmp_path / "node_modules"))
    settings_env.setenv("EDGEWARD_HOME", str(tmp_path / "home"))
    settings_env.setenv("npm_config_registry", "http://127.0.0.1:9/")
    settings_env.setenv("npm_config_fetch_retries", "0")
    result = runner.invoke(app, ["convert", str(model_json), "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == ENV, result.output
    output = " ".join(result.output.split())
    assert "the npm registry cannot be reached (ECONNREFUSED)" in output and "@tensorflow/tfjs@4.22.0" in output
    assert "Traceback" not in output and not (tmp_path / "home" / "npm" / "edgeward-tfjs@4.22.0").exists()


def test_3_registry_unreachable(settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings_env.setenv("EDGEWARD_HOME", str(tmp_path / "home"))
    result = runner.invoke(app, ["pull", "posenet@^1", "--registry", "http://127.0.0.1:9"])
    assert result.exit_code == ENV, result.output
    assert "is unreachable" in result.output


def test_help_lists_the_table() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == OK and "Exit codes:" in result.output
    for code in ExitCode:
        assert f"{int(code)}  " in result.output

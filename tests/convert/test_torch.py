"""PyTorch importer: a small CNN, the .pt / .pt2 files the CLI accepts, and the errors it gives."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.convert import from_torch
from edgeward.convert.verify import run_onnx
from edgeward.errors import ConversionError, MissingExtraError
from tests.convert.import_models import torch_cnn

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")


def test_cnn_converts_and_matches_torch(tmp_path: Path) -> None:
    model, x = torch_cnn()
    result = from_torch(model, x, tmp_path / "cnn.onnx", input_names=["image"], output_names=["logits"])
    assert result.input_names == ["image"] and result.output_names == ["logits"]
    assert result.report.cases == ["example", "random-normal-1", "random-normal-2"]
    assert result.max_rel_diff["logits"] <= 1e-5
    fresh = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(9))  # not one verified on
    got = run_onnx(result.path, {"image": fresh.numpy()})["logits"]
    np.testing.assert_allclose(got, model(fresh).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_cli_takes_torch_export_and_torchscript_files(tmp_path: Path) -> None:
    model, x = torch_cnn()
    torch.export.save(torch.export.export(model, (x,)), tmp_path / "cnn.pt2")
    torch.jit.save(torch.jit.trace(model, (x,)), tmp_path / "cnn.pt")
    runner = CliRunner()
    res = runner.invoke(app, ["convert", str(tmp_path / "cnn.pt2"), "-o", str(tmp_path / "a.onnx")])
    assert res.exit_code == 0, res.output
    assert "max rel diff" in res.output and "ok" in res.output
    res = runner.invoke(app, ["convert", str(tmp_path / "cnn.pt"), "-o", str(tmp_path / "b.onnx"),
                              "--input-shape", "1,3,32,32"])
    assert res.exit_code == 0, res.output
    a = run_onnx(tmp_path / "a.onnx", {"x": x.numpy()})["output"]
    b = run_onnx(tmp_path / "b.onnx", {"input": x.numpy()})["output"]
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_pt_without_shape_and_state_dict_are_refused(tmp_path: Path) -> None:
    model, x = torch_cnn()
    torch.jit.save(torch.jit.trace(model, (x,)), tmp_path / "cnn.pt")
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    runner = CliRunner()
    res = runner.invoke(app, ["convert", str(tmp_path / "cnn.pt"), "-o", str(tmp_path / "a.onnx")])
    assert res.exit_code == 1 and "--input-shape" in res.output
    res = runner.invoke(app, ["convert", str(tmp_path / "weights.pt"), "-o", str(tmp_path / "b.onnx"),
                              "--input-shape", "1,3,32,32"])
    assert res.exit_code == 1 and "state_dict" in res.output and "Traceback" not in res.output


def test_unsupported_op_is_named(tmp_path: Path) -> None:
    class Eig(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.linalg.eigvals(x).real

    with pytest.raises(ConversionError, match=r"unsupported op 'aten\.linalg_eig'"):
        from_torch(Eig(), torch.rand(1, 4, 4), tmp_path / "eig.onnx")


def test_wrong_example_shape_is_a_clear_error(tmp_path: Path) -> None:
    model, _ = torch_cnn()
    with pytest.raises(ConversionError, match=r"rejects the example input of shape \[1, 32, 32, 3\]"):
        from_torch(model, torch.rand(1, 32, 32, 3), tmp_path / "cnn.onnx")  # NHWC given to an NCHW model


def test_missing_torch_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` does when it is not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'edgeward\[torch\]'"):
        from_torch(object(), np.zeros((1, 3)), tmp_path / "m.onnx")

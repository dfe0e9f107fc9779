"""Plain ONNX import: full check, external data kept inside the model's folder, reference verification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.convert import import_onnx
from edgeward.convert.verify import run_onnx
from edgeward.errors import ConversionError, ModelFormatError


def _linear(path: Path, external: bool = False) -> Path:
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y0"]), helper.make_node("Sigmoid", ["y0"], ["y"])], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    if external:
        onnx.save(model, str(path), save_as_external_data=True, location="weights.bin", size_threshold=0)
    else:
        onnx.save(model, str(path))
    return path


def _point_external_data(path: Path, location: str) -> None:
    model = onnx.load(str(path), load_external_data=False)
    for entry in model.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = location
    onnx.save(model, str(path))


def test_import_checks_and_verifies_against_the_reference(tmp_path: Path) -> None:
    result = import_onnx(_linear(tmp_path / "m.onnx"), tmp_path / "out.onnx")
    assert result.framework == "onnx" and result.input_names == ["x"] and result.output_names == ["y"]
    assert result.max_rel_diff["y"] <= 1e-5 and len(result.report.cases) == 3 and not result.notes


def test_external_data_inside_the_folder_is_inlined(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    src = _linear(tmp_path / "src" / "m.onnx", external=True)
    result = import_onnx(src, tmp_path / "out.onnx")
    x = np.ones((2, 4), np.float32)
    assert not onnx.external_data_helper.uses_external_data(onnx.load(str(result.path)).graph.initializer[0])
    np.testing.assert_allclose(run_onnx(result.path, {"x": x})["y"], run_onnx(src, {"x": x})["y"])


@pytest.mark.parametrize("location", ["../secret.bin", "/etc/passwd", "sub/../../secret.bin"])
def test_external_data_outside_the_folder_is_refused(tmp_path: Path, location: str) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 48)
    src = _linear(tmp_path / "model" / "m.onnx", external=True)
    _point_external_data(src, location)
    with pytest.raises(ModelFormatError, match=r"tensor 'w' stores its data in .*(inside|outside)"):
        import_onnx(src, tmp_path / "out.onnx")


def test_link_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 48)
    src = _linear(tmp_path / "model" / "m.onnx", external=True)
    (tmp_path / "model" / "link.bin").symlink_to(tmp_path / "secret.bin")
    _point_external_data(src, "link.bin")
    with pytest.raises(ModelFormatError, match="resolves outside"):
        import_onnx(src, tmp_path / "out.onnx")


def test_invalid_model_fails_the_full_check(tmp_path: Path) -> None:
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "missing"], ["y"])], "bad",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(ModelFormatError, match="invalid ONNX model"):
        import_onnx(path, tmp_path / "out.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(ModelFormatError, match=r"junk\.onnx"):
        import_onnx(tmp_path / "junk.onnx", tmp_path / "out.onnx")


def test_cli_dispatches_by_suffix(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["convert", str(_linear(tmp_path / "m.onnx")), "-o", str(tmp_path / "o.onnx"),
                              "--input-shape", "x=5,4"])
    assert res.exit_code == 0, res.output
    assert "(onnx)" in res.output
    (tmp_path / "model.h5").write_bytes(b"")
    res = runner.invoke(app, ["convert", str(tmp_path / "model.h5"), "-o", str(tmp_path / "o.onnx")])
    assert res.exit_code == 1 and "unknown model format '.h5'" in res.output and ".keras" in res.output


def test_wrong_input_rank_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match=r"input 'x' has rank 2"):
        import_onnx(_linear(tmp_path / "m.onnx"), tmp_path / "o.onnx", input_shapes={"x": [1, 2, 4]})

"""The TF.js converter against TF.js itself (run in Node), on real photos and small graphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeward.convert.tfjs import ops
from edgeward.convert.tfjs.converter import convert_tfjs
from edgeward.convert.tfjs.pipeline import convert_and_verify
from edgeward.convert.verify import compare, run_onnx, run_tfjs_reference
from edgeward.errors import VerificationError
from tests.convert.tfjs_fixtures import small_cnn

POSENET_OUTPUTS = 4


@pytest.mark.parametrize("size", [385, 384])
def test_posenet_parity_on_real_photos(posenet_json: Path, tmp_path: Path, size: int) -> None:
    result = convert_and_verify(posenet_json, tmp_path / "p.onnx", input_shapes={"image": [1, size, size, 3]},
                                tolerance=2e-3)
    assert result.report.cases == ["astronaut.png", "camera.png"]
    assert len(result.report.max_abs_diff) == POSENET_OUTPUTS
    assert result.report.worst <= 2e-3
    grid = -(-size // 16)
    outputs = {o.name: [d.dim_value for d in o.type.tensor_type.shape.dim] for o in result.model.graph.output}
    assert outputs["MobilenetV1/heatmap_2/BiasAdd"] == [1, grid, grid, 17]


def test_wrong_same_padding_rule_is_caught_at_even_size(posenet_json: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Putting SAME's odd extra pixel at the start (not TF's end) must fail verification at 384."""

    original = ops.same_pads
    monkeypatch.setattr(ops, "same_pads", lambda *a: original(*a)[::-1])
    with pytest.raises(VerificationError, match="beyond tolerance"):
        convert_and_verify(posenet_json, tmp_path / "bad.onnx", input_shapes={"image": [1, 384, 384, 3]})
    assert not (tmp_path / "bad.onnx").exists()


def test_same_pads_puts_extra_pixel_at_end() -> None:
    assert ops.same_pads(384, 3, 2, 1) == (0, 1)
    assert ops.same_pads(385, 3, 2, 1) == (1, 1)
    assert ops.same_pads(8, 5, 1, 1) == (2, 2)
    assert ops.same_pads(7, 1, 1, 1) == (0, 0)


@pytest.mark.parametrize("quant", [None, "uint8", "uint16", "float16"])
@pytest.mark.parametrize("size", [(17, 16), (12, 9)])
def test_small_graph_matches_tfjs_for_each_weight_encoding(tmp_path: Path, quant: str | None,
                                                           size: tuple[int, int]) -> None:
    model_json = small_cnn(tmp_path / "m", size, quant)
    onnx_path = tmp_path / "m.onnx"
    convert_tfjs(model_json, onnx_path)
    x = np.random.default_rng(1).uniform(-1, 1, (1, *size, 3)).astype(np.float32)
    expected = run_tfjs_reference(model_json, {"image": x})
    actual = run_onnx(onnx_path, {"image": x})
    assert set(actual) == {"out", "c2"}  # output names kept
    diffs = compare(expected, actual, str(model_json))
    assert max(diffs.values()) < 1e-4, diffs

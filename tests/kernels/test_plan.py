"""The .ewk file (edgeward.kernels.plan): written and read back unchanged; a damaged one refused, naming the
file and the field."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from edgeward.errors import ModelFormatError
from edgeward.kernels import oracle
from edgeward.kernels.plan import KernelPlan, Pointwise, pack_pointwise, read_plan, unpack_pointwise, write_plan
from tests.web.kernels_fixtures import small_plan


@pytest.fixture
def written(tmp_path: Path) -> tuple[KernelPlan, Path]:
    plan = small_plan()
    path = tmp_path / "small.ewk"
    write_plan(plan, path)
    return plan, path


def test_a_plan_reads_back_as_written(written: tuple[KernelPlan, Path]) -> None:
    plan, path = written
    back = read_plan(path)
    assert back.input_name == plan.input_name and back.outputs == plan.outputs
    for a, b in zip(plan.layers, back.layers, strict=True):
        assert type(a) is type(b)
        for field in ("weight", "bias", "scale"):
            if getattr(a, field, None) is not None:
                assert np.array_equal(getattr(a, field), getattr(b, field)), field
    x = np.random.default_rng(3).uniform(-1, 1, (1, 9, 7, 3)).astype(np.float32)
    for name, value in oracle.run(plan, x).items():
        assert np.array_equal(value, oracle.run(back, x)[name])
    assert {k: v.shape for k, v in oracle.run(plan, x).items()} == {
        k: tuple(v) for k, v in plan.output_shapes(9, 7).items()}


@pytest.mark.parametrize(("k", "n"), [(4, 8), (12, 13), (8, 3)])
def test_pointwise_packing_round_trips(k: int, n: int) -> None:
    w = np.random.default_rng(k * n).integers(-127, 128, (k, n)).astype(np.int8)
    packed = pack_pointwise(w)
    assert packed.shape == (-(-n // 8), k // 4, 8, 4)
    assert packed[0, 0, 1, 2] == w[2, 1]  # block 0, inputs 0..3: output 1's third input
    assert np.array_equal(unpack_pointwise(packed, k, n), w)


def _rewrite(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    data = path.read_bytes()
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8:8 + length])
    blob = data[8 + length + (-(8 + length) % 16):]
    edit(header)
    text = json.dumps(header).encode()
    head = b"EWK1" + struct.pack("<I", len(text)) + text
    path.write_bytes(head + b"\0" * (-len(head) % 16) + blob)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda h: h.update(version=2), r"field 'format'/'version'"),
    (lambda h: h["layers"][1]["weight"].__setitem__(1, 400), r"layers\[1\]\.weight: \[\d+, 400\] is not 432 bytes"),
    (lambda h: h["layers"][1]["weight"].__setitem__(0, 8), r"layers\[1\]\.weight: .* at a 16-byte offset"),
    (lambda h: h["layers"][2].update(k=16), r"layers\[2\]\.weight: \[\d+, 192\] is not 256 bytes"),
    (lambda h: h["layers"][3].update(op="pool"), r"layers\[3\]\.op: 'pool' is not conv3x3, depthwise or pointwise"),
    (lambda h: h["layers"][1].update(stride=3), r"layers\[1\]\.stride: 3 is not one of \(1, 2\)"),
    (lambda h: h["layers"][2].update(mode="u7"), r"layers\[3\]: takes f32-padded input, the layer before gives u7"),
    (lambda h: h["layers"][2].update(n=12), r"layers\[2\]\.n: 12 is not a multiple of 8"),
    (lambda h: h["layers"][5]["outputs"][0].update(count=9), r"output 'b' \(channels 5\.\.14\) is outside its 13"),
    (lambda h: h["layers"][1].update(out_scale=-1), r"layers\[1\]\.out_scale: -1 is not a positive number"),
    (lambda h: h.update(outputs=["a"]), r"its outputs \['a', 'b'\] are not the plan's \['a'\]"),
])
def test_a_damaged_file_is_refused_naming_the_field(written: tuple[KernelPlan, Path], edit, message: str) -> None:  # type: ignore[no-untyped-def]
    _, path = written
    _rewrite(path, edit)
    with pytest.raises(ModelFormatError, match=message) as info:
        read_plan(path)
    assert str(path) in str(info.value)


def test_a_truncated_or_foreign_file_is_refused(written: tuple[KernelPlan, Path], tmp_path: Path) -> None:
    _, path = written
    cut = tmp_path / "cut.ewk"
    cut.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ModelFormatError, match=r"cut\.ewk: truncated: the header claims \d+ bytes"):
        read_plan(cut)
    onnx_file = tmp_path / "model.onnx"
    onnx_file.write_bytes(b"\x08\x07" + bytes(100))
    with pytest.raises(ModelFormatError, match=r"model\.onnx: not an Edgeward kernels file"):
        read_plan(onnx_file)


def test_an_unquantized_plan_is_not_written(tmp_path: Path) -> None:
    plan = small_plan()
    last = plan.layers[-1]
    assert isinstance(last, Pointwise)
    last.scale = None
    with pytest.raises(ValueError, match="not quantized"):
        write_plan(plan, tmp_path / "x.ewk")
    assert not (tmp_path / "x.ewk").exists()

"""The ONNX importer's bounds (edgeward.convert.onnx_bounds): file size, node count and declared tensor bytes
before external data is read; inferable tensor sizes after the check; example inputs for verification."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgeward.convert import onnx_bounds
from edgeward.convert.onnx_model import import_onnx, load_checked
from edgeward.errors import ConversionError, ModelFormatError


def _save(path: Path, nodes: list[onnx.NodeProto], xdims: list[int], inits: list[onnx.TensorProto] | None = None,
          ydims: list[int] | None = None) -> Path:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, xdims)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ydims or xdims)], inits or [])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_declared_tensor_bytes_are_refused_before_external_data_is_read(tmp_path: Path) -> None:
    """An initializer declaring [1000000, 1000000] float32 (4 TB) in a (sparse) 8 GB data file: refused on its
    dims in a fresh process, fast and in bounded memory; the data file is never opened."""
    w = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1_000_000, 1_000_000],
                    data_location=TensorProto.EXTERNAL)
    w.external_data.add(key="location", value="w.bin")
    path = _save(tmp_path / "m.onnx", [helper.make_node("Add", ["X", "W"], ["Y"])], [1_000_000, 1_000_000], [w])
    with (tmp_path / "w.bin").open("wb") as f:
        f.truncate(8 * 1024**3)
    probe = ("import re, sys, time\nfrom edgeward.errors import ModelFormatError\n"
             "from edgeward.convert.onnx_model import load_checked\nt = time.perf_counter()\n"
             "try:\n    load_checked(sys.argv[1])\nexcept ModelFormatError as e:\n"
             "    hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read())[1]\n"
             "    print(f'{time.perf_counter() - t:.3f}', hwm, e)\n")
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    seconds, kb, message = out.split(" ", 2)
    assert float(seconds) < 1.0 and int(kb) < 150_000, out
    assert f"{path}: its tensors declare 3.64 TiB (up to 'W', dims [1000000, 1000000]), over the 2,048.0 MiB" in message


def test_the_node_cap_counts_subgraphs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_bounds, "MAX_GRAPH_NODES", 3)
    branch = helper.make_graph([helper.make_node("Neg", ["X"], [f"z{i}"]) for i in range(2)], "b", [],
                               [helper.make_tensor_value_info("z0", TensorProto.FLOAT, [2])])
    cond = numpy_helper.from_array(np.array(True), "c")
    path = _save(tmp_path / "m.onnx", [helper.make_node("If", ["c"], ["Y"], then_branch=branch, else_branch=branch)],
                 [2], [cond])
    with pytest.raises(ModelFormatError, match=r"m\.onnx: 5 nodes, over the 3 node limit"):
        load_checked(path)


def test_a_large_file_is_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_bounds, "MAX_FILE_BYTES", 10)
    path = _save(tmp_path / "m.onnx", [helper.make_node("Relu", ["X"], ["Y"])], [2])
    with pytest.raises(ModelFormatError, match=r"m\.onnx: 0\.0 MiB, over the 0\.0 MiB limit for an ONNX file"):
        load_checked(path)


def test_an_activation_shape_inference_can_size_is_bounded(tmp_path: Path) -> None:
    """Expand of a constant [100000, 100000]: 40 GB that onnxruntime would try to allocate when verifying."""
    shape = numpy_helper.from_array(np.array([100_000, 100_000], np.int64), "s")
    path = _save(tmp_path / "m.onnx", [helper.make_node("Expand", ["X", "s"], ["Y"])], [1], [shape], [100_000, 100_000])
    with pytest.raises(ModelFormatError, match=r"tensor 'Y' has shape \[100000, 100000\]: 38,147\.0 MiB, over the"):
        load_checked(path)


@pytest.mark.parametrize(("xdims", "match"), [
    ([4096, 8192], r"input 'X' has shape \[4096, 8192\]: an example input needs 0 to 16777216 elements"),
    ([0, 3], None),  # no elements: verified (np.max of nothing was a ValueError)
])
def test_example_inputs_are_bounded(tmp_path: Path, xdims: list[int], match: str | None) -> None:
    path = _save(tmp_path / "m.onnx", [helper.make_node("Relu", ["X"], ["Y"])], xdims)
    if match is None:
        assert import_onnx(path, tmp_path / "out.onnx").max_rel_diff == {"Y": 0.0}
    else:
        with pytest.raises(ConversionError, match=match):
            import_onnx(path, tmp_path / "out.onnx")

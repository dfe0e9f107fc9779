"""Verify a converted ONNX model against its source: same inputs, max abs difference per output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgeward.errors import ToolMissingError, VerificationError
from edgeward.runtime.session import build_session, runner
from edgeward.settings import get_settings
from edgeward.vendor import tfjs_node_modules


@dataclass
class ParityReport:
    max_abs_diff: dict[str, float] = field(default_factory=dict)
    cases: list[str] = field(default_factory=list)
    tolerance: float = 2e-3

    @property
    def worst(self) -> float:
        return max(self.max_abs_diff.values(), default=0.0)

    def update(self, case: str, diffs: dict[str, float]) -> None:
        self.cases.append(case)
        for k, v in diffs.items():
            self.max_abs_diff[k] = max(self.max_abs_diff.get(k, 0.0), v)

    def check(self, source: str) -> None:
        bad = {k: v for k, v in self.max_abs_diff.items() if not v <= self.tolerance}
        if bad:
            listed = ", ".join(f"'{k}' {v:.3g}" for k, v in bad.items())
            raise VerificationError(
                f"{source}: converted model disagrees with the original beyond tolerance {self.tolerance:g} "
                f"on {', '.join(self.cases)}: max abs difference {listed}"
            )


def run_onnx(model_path: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return runner(build_session(model_path))(feeds)


def run_tfjs_reference(model_json: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run the original TF.js graph in Node (tfjs + wasm backend: the checkout's web/node_modules, else the
    copy fetched once into EDGEWARD_HOME; see edgeward.vendor)."""
    settings = get_settings()
    script = settings.web_root / "tools" / "tfjs_reference.mjs"
    node = shutil.which("node")
    if node is None:
        raise ToolMissingError("verifying a TF.js conversion needs Node.js ('node' is not on PATH)")
    node_modules = tfjs_node_modules(settings, why="verifying a TF.js conversion")
    env = {**os.environ, "EDGEWARD_TFJS_NODE_MODULES": str(node_modules)}
    with tempfile.TemporaryDirectory(prefix="edgeward-ref-") as tmp:
        inputs: dict[str, dict[str, object]] = {}
        for name, arr in feeds.items():
            dtype = "int32" if arr.dtype.kind in "iu" else "float32"
            f = Path(tmp) / f"in-{len(inputs)}.bin"
            np.ascontiguousarray(arr, dtype="<i4" if dtype == "int32" else "<f4").tofile(f)
            inputs[name] = {"shape": list(arr.shape), "file": str(f), "dtype": dtype}
        req = Path(tmp) / "request.json"
        req.write_text(json.dumps({"model": str(Path(model_json).resolve()), "outDir": tmp, "inputs": inputs}))
        proc = subprocess.run([node, str(script), str(req)], capture_output=True, text=True, timeout=600, env=env)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            raise VerificationError(f"{model_json}: the TF.js reference run failed:\n{tail}")
        index = json.loads((Path(tmp) / "outputs.json").read_text())
        types = {"float32": "<f4", "int32": "<i4", "bool": "u1"}
        return {name: np.fromfile(v["file"], dtype=types.get(v.get("dtype"), "<f4")).reshape(v["shape"])
                for name, v in index.items()}


def compare(expected: dict[str, np.ndarray], actual: dict[str, np.ndarray], source: str) -> dict[str, float]:
    diffs = {}
    for name, ref in expected.items():
        if name not in actual:
            raise VerificationError(f"{source}: output '{name}' is missing from the converted model")
        got = actual[name]
        if got.shape != ref.shape:
            raise VerificationError(f"{source}: output '{name}' has shape {list(got.shape)}, "
                                    f"the original has {list(ref.shape)}")
        diffs[name] = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)), initial=0.0))
    return diffs

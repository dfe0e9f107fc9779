"""Edgeward's WASM kernels (web/src/kernels/net.js) against their oracle (edgeward.kernels.oracle), for
web/test/kernels.test.js, registered with write_fixtures' ``@writer``: the zoo's PoseNet int8-kernels file on a
real photo at both its input sizes, and a small made-up net whose shapes reach every edge of the kernels (odd
sizes, channel counts that are not multiples of 8, outputs that do not fill a block of 8). The JS must give
the same float32 values, bit for bit."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from skimage import data

from edgeward.kernels import oracle
from edgeward.kernels.lower import InputStats, quantize
from edgeward.kernels.plan import Conv3x3, Depthwise, HeadSlice, KernelPlan, Pointwise, read_plan, write_plan
from edgeward.package.store import package_dir
from edgeward.runtime.preprocess import letterbox
from tests.web.write_fixtures import f32, writer

if TYPE_CHECKING:
    from tests.web.write_fixtures import Context

Fixture = dict[str, Any]


def small_plan(seed: int = 0) -> KernelPlan:
    """conv3x3 (3 → 12, stride 2) → depthwise (stride 1) → 1×1 (→ 16) → depthwise (stride 2) → 1×1 (→ 8, u7)
    → outputs 'a' (5 channels) and 'b' (8): 12 channels take conv3x3's one-pixel path, 13 outputs a part block."""
    rng = np.random.default_rng(seed)

    def w(*shape: int, scale: float = 0.5) -> np.ndarray:
        return rng.normal(0, scale, shape).astype(np.float32)

    float_plan = KernelPlan("x", [
        Conv3x3(2, w(3, 3, 3, 12), w(12, scale=0.1)),
        Depthwise(1, w(9, 12), w(12, scale=0.1)),
        Pointwise(w(12, 16, scale=0.3), w(16, scale=0.1), "f32-padded"),
        Depthwise(2, w(9, 16), w(16, scale=0.1)),
        Pointwise(w(16, 8, scale=0.3), w(8, scale=0.1), "u7"),
        Pointwise(w(8, 13, scale=0.3), w(13), "f32", outputs=[HeadSlice("b", 5, 8), HeadSlice("a", 0, 5)]),
    ], ["a", "b"])
    means = [rng.uniform(0, 1, k).astype(np.float32) for k in (12, 16, 8)]
    return quantize(float_plan, InputStats([6.0, 3.0, 1.5], means))


def _case(plan_file: str | None, plan_bytes: bytes | None, image: np.ndarray,
          outputs: dict[str, np.ndarray]) -> Fixture:
    return {
        "planFile": plan_file,
        "planBase64": base64.b64encode(plan_bytes).decode() if plan_bytes is not None else None,
        "input": {"dims": list(image.shape), "data": f32(image)},
        "outputs": {name: {"dims": list(v.shape), "data": f32(v)} for name, v in outputs.items()},
    }


@writer("kernels")
def _kernels(ctx: Context) -> Fixture:
    cases: dict[str, Fixture] = {}
    directory = package_dir("posenet")
    model = ctx.model("posenet")
    entry = model.manifest.files["int8-kernels"]
    plan_file = directory / entry.path
    plan = read_plan(plan_file)
    rgb = data.astronaut()
    for size in ((385, 385), (257, 257)):
        pre = model.manifest.preprocess.model_copy(update={"size": list(size)})
        x, _ = letterbox(rgb, pre)
        cases[f"posenet int8-kernels, astronaut at {size[0]}x{size[1]}"] = _case(str(plan_file), None, x,
                                                                                 oracle.run(plan, x))
    small = small_plan()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small.ewk"
        write_plan(small, path)
        small_bytes = path.read_bytes()
    rng = np.random.default_rng(1)
    for h, w in ((11, 9), (8, 8), (1, 1)):
        x = rng.uniform(-1, 1, (1, h, w, 3)).astype(np.float32)
        cases[f"a small net at {h}x{w}"] = _case(None, small_bytes, x, oracle.run(small, x))
    return {"cases": cases}

"""Fixtures for web/test/tfjs-resize.test.js: the pose option resize 'tfjs-posenet' (runtime/tfjs_resize.py) on
real photo crops of both orientations with the zoo PoseNet's scale / offset, its boxes and their way back,
and TF.js's axis sampling for every flag setting."""

from __future__ import annotations

import numpy as np

from edgeward.runtime.tfjs_resize import PaddedResize, tf_axis, tfjs_posenet
from tests.web.write_fixtures import Context, Fixture, f64, tensor, writer


@writer("tfjs_resize")
def _tfjs_resize(ctx: Context) -> Fixture:
    spec = ctx.model("posenet").manifest.preprocess
    assert spec is not None
    crops = {  # name: (rgb, model input [h, w])
        "astronaut-tall": (ctx.astronaut[80:160, 180:240], [33, 33]),
        "coffee-wide": (ctx.coffee[100:141, 150:250], [41, 41]),
        "astronaut-odd-pad": (ctx.astronaut[200:251, 100:150], [25, 25]),  # pad = Math.round(0.5) = 1
        "party-non-square": (ctx.party[0:45, 300:360], [17, 33]),
        "webcam-up": (ctx.webcam[40:52, 100:109], [49, 49]),  # upsampled: every pad pixel blends in
    }
    cases = []
    for name, (rgb, size) in crops.items():
        rgb = np.ascontiguousarray(rgb)
        sized = spec.model_copy(update={"size": size})
        x, box = tfjs_posenet(rgb, sized)
        points = np.asarray([[0.0, 0.0], [3.5, 7.25], [size[1] - 1.0, size[0] - 1.0]])
        xs, ys = box.to_image(points[:, 0], points[:, 1])
        cases.append({
            "name": name, "width": int(rgb.shape[1]), "height": int(rgb.shape[0]),
            "rgb": [int(v) for v in rgb.reshape(-1)], "spec": sized.model_dump(mode="json"),
            "box": {"stepX": box.step_x, "stepY": box.step_y, "padX": box.pad_x, "padY": box.pad_y, "scale": box.scale},
            "points": f64(points), "back": f64(np.stack([xs, ys], axis=1)), "output": tensor(x),
        })
    axes = []
    for n_out, n_in in ((7, 13), (13, 7), (1, 5), (5, 1), (385, 512)):
        for align, half in ((False, False), (True, False), (False, True)):
            i0, i1, frac = tf_axis(n_out, n_in, align, half)
            axes.append({"nOut": n_out, "nIn": n_in, "alignCorners": align, "halfPixelCenters": half,
                         "i0": [int(v) for v in i0], "i1": [int(v) for v in i1], "frac": f64(frac)})
    fit = PaddedResize.fit(640, 480, 385, 385)
    return {"cases": cases, "axes": axes,
            "fit": {"args": [640, 480, 385, 385], "padX": fit.pad_x, "padY": fit.pad_y, "stepX": fit.step_x}}

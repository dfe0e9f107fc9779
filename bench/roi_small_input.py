"""The accuracy cost of running the ROI crop at a smaller input (PoseNet 257 instead of 385), on the live clip.

    .venv/bin/python bench/roi_small_input.py [--package posenet] [--repeat 10] [--runs 30] [--out FILE.json]

The live bench's fake-webcam clip (640×480: the astronaut, two people, the astronaut mirrored; each photo
``--repeat`` frames), every frame estimated in Python on one onnxruntime thread: whole frame at 385 (the
reference), ROI tracking with the crop at 385, ROI tracking with the crop at 257 (whole frames at 385), and
whole frames at 257. Prints keypoint agreement (reference keypoints scored >= 0.5 within 8 px), mean px
error, poses found (over the clip and per photo), ms per estimate, and native onnxruntime ms per inference at
each size (1 thread).
See edgeward.bench.roi_sizes for the exact rules.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import edgeward
from edgeward.bench.roi_sizes import clip_frames, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="posenet")
    parser.add_argument("--repeat", type=int, default=10, help="frames per photo in the clip (the live bench: 10)")
    parser.add_argument("--runs", type=int, default=30, help="timed inferences per input size")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here (JSON)")
    args = parser.parse_args()
    handle = edgeward.load(args.package, threads=1)
    frames, photos = clip_frames(args.repeat)
    data = report(handle, frames, photos, runs=args.runs)
    print(f"{data['package']} ({data['variant']}), {data['clip']['frames']} frames "
          f"{data['clip']['size'][1]}x{data['clip']['size'][0]}; agreement: {data['agreement_rule']}")
    print(f"{'configuration':<32} {'agreement':>9} {'mean px':>8} {'max px':>7} {'poses':>7} {'crops':>6} {'ms':>6}")
    for c in data["configs"]:
        print(f"{c['name']:<32} {c['agreement']:>9.1%} {c['mean_px_error']:>8.2f} {c['max_px_error']:>7.1f} "
              f"{c['poses']:>3}/{c['reference_poses']:<3} {c['crops']:>6} {c['estimate_ms']:>6.1f}")
        for photo, p in c["by_photo"].items():
            print(f"  {photo:<30} {p['agreement']:>9.1%} {p['mean_px_error']:>8.2f} {p['max_px_error']:>7.1f} "
                  f"{p['poses']:>3}/{p['reference_poses']:<3}")
    ms = data["native_ms_1thread"]
    sizes = list(ms)
    print("native onnxruntime, 1 thread, median ms per inference: "
          + ", ".join(f"{k} {v:.1f}" for k, v in ms.items())
          + (f" ({ms[sizes[0]] / ms[sizes[-1]]:.2f}x faster at {sizes[-1]})" if len(sizes) > 1 else ""))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        clean = json.loads(json.dumps(data), parse_constant=lambda c: None)  # NaN (nothing counted) → null
        args.out.write_text(json.dumps(clean, indent=1, allow_nan=False) + "\n")


if __name__ == "__main__":
    main()

"""What the pose option ``resize='tfjs-posenet'`` changes, on real photos of people.

    .venv/bin/python bench/posenet_resize.py [--package posenet] [--out docs/bench/posenet-resize.json]

For each held-out photo (edgeward.zoo.photos: scikit-image's astronaut and camera, and ten photos from
@vladmandic/human's assets, of many sizes and aspects), the single pose of the package three ways:
Edgeward with its own letterbox, Edgeward with ``resize='tfjs-posenet'``, and @tensorflow-models/posenet
2.2.2 itself in Node (TF.js 'cpu' kernels) on the original TF.js model. Prints the keypoint distances in
image pixels between each pair (mean and max over all 17 keypoints, and over those scored >= 0.5 in both).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edgeward.bench.posenet_reference import resize_difference
from edgeward.zoo.photos import heldout_photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="posenet")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here (JSON)")
    args = parser.parse_args()
    report = resize_difference(args.package, [(p.name, p.rgb) for p in heldout_photos()])
    heads = ("letterbox vs rule", "letterbox vs posenet", "rule vs posenet")
    print(f"{'photo':<20} {'size':>9}  {heads[0]:>18}  {heads[1]:>20}  {heads[2]:>16}")
    for r in report["photos"]:
        cells = [f"{r[k]['mean_px']:7.2f} / {r[k]['max_px']:7.2f}" for k in
                 ("letterbox_vs_tfjs_posenet_rule", "letterbox_vs_posenet_package",
                  "tfjs_posenet_rule_vs_posenet_package")]
        print(f"{r['photo']:<20} {r['size'][0]:>4}×{r['size'][1]:<4}  {cells[0]:>18}  {cells[1]:>20}  {cells[2]:>16}")
    print("mean / max px over the 17 keypoints; summary over the photos:")
    for key, stats in report["summary"].items():
        print(f"  {key:<38} " + "  ".join(f"{k} {v:.3g}" for k, v in stats.items()))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

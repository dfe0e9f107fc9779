"""The pose accuracy gate: multi-pose decoding, one-to-one pose matching, misses that stay misses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeward.optimize.gate import (
    GateSpec,
    compare_poses,
    counted_keypoints,
    judge,
    match_poses,
    measure,
    noise_floor,
    reference_inputs,
    summarize,
)
from edgeward.package.manifest import Manifest, PoseNetPostprocess, read_manifest
from edgeward.runtime.session import build_session as session
from edgeward.runtime.session import runner
from edgeward.tasks.posenet import RawPose
from edgeward.zoo.photos import heldout_photos

SPEC = GateSpec()
K = 17


def person(x: float, y: float, score: float = 0.9, spread: float = 6.0) -> RawPose:
    """A synthetic pose: 17 keypoints on a column below (x, y), ``spread`` px apart."""
    ys = y + spread * np.arange(K, dtype=np.float64)
    xs = x + np.where(np.arange(K) % 2 == 0, -4.0, 4.0)
    return RawPose(score, ys, xs, np.full(K, score))


def moved(pose: RawPose, dx: float, dy: float = 0.0, keypoints: slice | list[int] = slice(None)) -> RawPose:
    xs, ys = pose.xs.copy(), pose.ys.copy()
    xs[keypoints] += dx
    ys[keypoints] += dy
    return RawPose(pose.score, ys, xs, pose.scores.copy())


def metrics(ref: list[RawPose], cand: list[RawPose]) -> dict[str, float]:
    return summarize([compare_poses(ref, cand, SPEC)], SPEC)


def test_identical_poses_in_any_order_agree_fully() -> None:
    a, b = person(50, 40), person(200, 60)
    m = metrics([a, b], [b, a])  # the variant may find them in another order
    assert m["keypoint_agreement"] == 1.0 and m["mean_px_error"] == 0.0
    assert m["keypoints"] == 2 * K and m["poses"] == 2 and m["unmatched_poses"] == 0


def test_small_shifts_are_localisation_error_not_misses() -> None:
    a = person(50, 40)
    m = metrics([a], [moved(a, 3.0, 4.0)])  # 5 px everywhere
    assert m["keypoint_agreement"] == 1.0
    assert m["mean_px_error"] == pytest.approx(5.0) and m["mean_px_error_agreeing"] == pytest.approx(5.0)


def test_another_persons_pose_is_never_counted_as_agreement() -> None:
    """fp32 sees two people; the variant finds the second one twice (or only it): the first
    person's keypoints are misses, although the variant has a pose right next to them."""
    a, b = person(50, 40), person(80, 40)  # 30 px apart: neighbours in a group photo
    for cand in ([b, moved(b, 1.0)], [b]):
        m = metrics([a, b], cand)
        assert m["unmatched_poses"] == 1 and m["keypoint_agreement"] == pytest.approx(0.5)
        result = judge(m, SPEC)
        assert not result.passed and "keypoint agreement 50.0% < 95%" in result.message
    # Matching is one-to-one: a single variant pose cannot stand in for both people.
    assert len(match_poses([a, b], counted_keypoints([a, b], SPEC), [moved(a, 2.0)], SPEC)) == 1


def test_a_pose_mostly_elsewhere_is_not_the_same_person() -> None:
    """Most keypoints 30 px away: no match, so even the few that coincide do not count."""
    a = person(50, 40)
    stray = moved(a, 30.0, keypoints=list(range(9)))
    m = metrics([a], [stray])
    assert m["unmatched_poses"] == 1 and m["keypoint_agreement"] == 0.0 and m["keypoints"] == K


def test_a_few_misplaced_keypoints_are_misses_with_their_full_error() -> None:
    a = person(50, 40)
    m = metrics([a], [moved(a, 30.0, keypoints=[3, 7])])
    assert m["keypoint_agreement"] == pytest.approx(15 / 17)
    assert m["mean_px_error"] == pytest.approx(60 / 17)  # misses count in full
    assert m["mean_px_error_agreeing"] == 0.0 and m["max_px_error"] == pytest.approx(30.0)
    assert not judge(m, SPEC).passed


def test_only_confident_keypoints_of_distinct_poses_count() -> None:
    a = person(50, 40)
    weak = RawPose(0.3, a.ys.copy(), a.xs + 100, np.full(K, 0.3))  # no keypoint ≥ 0.5
    fragment = moved(a, 3.0)  # the decoder's duplicate of `a`: every keypoint within nms_radius
    masks = counted_keypoints([a, weak, fragment], SPEC)
    assert masks[0].all() and not masks[1].any() and not masks[2].any()
    m = metrics([a, weak, fragment], [a])
    assert m["keypoints"] == K and m["poses"] == 1 and m["keypoint_agreement"] == 1.0


@pytest.fixture(scope="module")
def held(posenet_dir: Path) -> tuple[Manifest, list[dict[str, np.ndarray]], list[dict[str, np.ndarray]], object]:
    manifest = read_manifest(posenet_dir / "manifest.json")
    feeds = reference_inputs(heldout_photos(), manifest)
    fp32 = runner(session(posenet_dir / "model.fp32.onnx"))
    return manifest, feeds, [fp32(f) for f in feeds], fp32


def test_fp32_against_itself_passes_and_counts_group_photos(held) -> None:  # type: ignore[no-untyped-def]
    manifest, feeds, reference, fp32 = held
    result = measure(manifest, feeds, reference, fp32, SPEC)
    assert result.passed and result.metrics["keypoint_agreement"] == 1.0 and result.metrics["mean_px_error"] == 0.0
    assert result.metrics["poses"] >= 25 and result.metrics["keypoints"] >= 300  # multi-pose: group photos count


def test_damaged_variants_fail(held) -> None:  # type: ignore[no-untyped-def]
    """Offsets off by 12 px, or the poses of the mirrored photo (other people in other places):
    both must fail, whatever the scores say."""
    manifest, feeds, reference, fp32 = held
    post = manifest.postprocess
    assert isinstance(post, PoseNetPostprocess)
    offset = post.outputs["offset"]

    def shifted(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = dict(fp32(feed))
        out[offset] = out[offset] + 12.0
        return out

    result = measure(manifest, feeds, reference, shifted, SPEC)
    assert not result.passed and result.metrics["keypoint_agreement"] < 0.5, result.metrics
    assert result.message.startswith("failed: keypoint agreement")

    def mirrored(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return fp32({k: np.ascontiguousarray(v[:, :, ::-1]) for k, v in feed.items()})

    result = measure(manifest, feeds, reference, mirrored, SPEC)
    assert not result.passed and result.metrics["keypoint_agreement"] < 0.8, result.metrics


def test_noise_floor_is_high_but_not_perfect(held) -> None:  # type: ignore[no-untyped-def]
    manifest, feeds, reference, fp32 = held
    floor = noise_floor(manifest, feeds, reference, fp32, SPEC)
    assert 0.95 <= floor["keypoint_agreement"] < 1.0 and 0.0 < floor["mean_px_error"] < 2.0


def test_classification_gate_is_top1_agreement(efficientnet) -> None:  # type: ignore[no-untyped-def]
    manifest = efficientnet.manifest
    assert manifest.task == "classify"
    feeds = reference_inputs(heldout_photos(), manifest)
    fp32 = runner(session(efficientnet.directory / manifest.files["fp32"].path))
    reference = [fp32(f) for f in feeds]
    same = measure(manifest, feeds, reference, fp32, SPEC)
    assert same.passed and same.metrics == {"images": 12.0, "top1_agreement": 1.0}

    def least_likely(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: -v for k, v in fp32(feed).items()}  # the argmax becomes the least likely class

    wrong = measure(manifest, feeds, reference, least_likely, SPEC)
    assert not wrong.passed and wrong.message == "failed: top-1 agreement 0.0% < 95%"

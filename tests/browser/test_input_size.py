"""A package that carries more than one input size, in the browser runtime: estimatePoses at another size the
package carries gives Python's poses at that size; track() with roi and roiInputSize 'smallest' runs ROI crops
at the smallest size and whole frames at the package's own; a size the package does not carry is a clear error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edgeward.browser.chromium import fake_camera_args, launch_chromium
from edgeward.browser.harness import HARNESS_PATH, js_pose_options, package_url, run_in_page
from edgeward.errors import BrowserError
from edgeward.package.manifest import pick_variant
from edgeward.package.sizes import file_for_size, input_sizes
from edgeward.tasks.handles import TaskHandle
from tests.browser.conftest import OpenedPage
from tests.browser.test_parity import assert_gate_agreement, assert_same_poses
from tests.browser.test_track import START_CAMERA

pytestmark = pytest.mark.browser

SMALL = [257, 257]


@pytest.fixture(scope="module")
def page(playwright_instance: Any, server_url: str, fake_camera: Path, posenet: TaskHandle,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    """The harness page with the fake webcam playing in a <video> and one detector (window.detector) for the module."""
    sizes = [list(s) for s in input_sizes(posenet.manifest)]
    assert sizes[0] == [385, 385] and SMALL in sizes, f"the posenet package carries {sizes}: rebuild it (edgeward zoo)"
    context = launch_chromium(playwright_instance, tmp_path_factory.mktemp("profile"), fake_camera_args(fake_camera))
    opened = OpenedPage(context.new_page(), context)
    opened.page.on("pageerror", lambda err: opened.errors.append(str(err)))
    try:
        opened.page.goto(server_url + HARNESS_PATH)
        opened.page.wait_for_function("() => document.body.dataset.status === 'ready'")
        assert opened.page.evaluate(START_CAMERA) == [640, 480]
        opened.page.evaluate("async (url) => { window.detector = await window.edgewardHarness.edgeward"
                             ".createPoseDetector(url, {backend: 'wasm'}); }", package_url("posenet"))
        yield opened
    finally:
        context.close()


@pytest.mark.parametrize("opts", [{"max_poses": 1, "score_threshold": 0.3},
                                  {"max_poses": 5, "score_threshold": 0.3, "roi": (100, 0, 420, 320)}],
                         ids=["whole", "roi"])
def test_estimate_at_a_carried_size_matches_python(page: OpenedPage, posenet: TaskHandle, astronaut: Path,
                                                   opts: dict[str, Any]) -> None:
    py = posenet.estimate_poses(astronaut, **opts, input_size=(257, 257))
    js_opts = {**js_pose_options(**{**opts, "roi": list(opts["roi"]) if "roi" in opts else None}), "inputSize": SMALL}
    fp32 = {"variant": "fp32"}  # as Python's handle
    js = run_in_page(page.page, package_url("posenet"), astronaut.read_bytes(), js_opts, fp32)
    assert py, "the oracle found no pose at 257x257: the case compares nothing"
    assert assert_same_poses(py, js["poses"]) >= 5  # within 1.5 px and 0.02 in score
    at_own = posenet.estimate_poses(astronaut, **opts)
    moved = max(abs(a["x"] - b["x"]) + abs(a["y"] - b["y"])
                for a, b in zip(at_own[0]["keypoints"], py[0]["keypoints"], strict=True))
    print(f"257x257 vs 385x385: keypoints moved up to {moved:.2f} px (x + y)")
    assert moved > 0.01, "257x257 gave the very poses of 385x385: the size was not used"
    assert not page.errors


def test_the_variant_made_for_wasm_runs_its_own_file_at_the_smaller_size(page: OpenedPage, posenet: TaskHandle,
                                                                          astronaut: Path) -> None:
    """Unasked the detector runs the variant made for WASM; at 257x257 it runs that variant's own size file
    (int8-wasm@257x257, from `edgeward quantize --target wasm`) where the package has one, else fp32's.
    Its poses agree with Python's fp32 at 257 by the accuracy gate's rule (confident keypoints within 8 px)."""
    manifest = posenet.manifest
    key, entry = file_for_size(manifest, pick_variant(manifest, "wasm"), (257, 257))
    out = page.page.evaluate("""async (bytes) => {
        const ew = window.edgewardHarness.edgeward;
        const image = new Blob([new Uint8Array(bytes)]);
        const opts = {maxPoses: 1, scoreThreshold: 0.3, inputSize: [257, 257]};
        const poses = await window.detector.estimatePoses(image, opts);
        const cached = (await ew.listCachedModels()).map((e) => e.sha256);
        return {poses, variant: window.detector.backend.variant, cached};
    }""", list(astronaut.read_bytes()))
    assert out["variant"] == pick_variant(manifest, "wasm")
    assert entry.sha256 in out["cached"], f"{key} ({entry.path}) was not the file fetched for 257x257"
    py = posenet.estimate_poses(astronaut, max_poses=1, score_threshold=0.3, input_size=(257, 257))
    assert_gate_agreement(py[0], out["poses"][0], key)
    assert not page.errors


def test_track_runs_roi_crops_at_the_smallest_size(page: OpenedPage) -> None:
    out = page.page.evaluate("""async () => {
        const rows = [];
        let error = null;
        await new Promise((resolve) => {
            const started = performance.now();
            const t = window.detector.track(window.video, (poses, frame) => {
                rows.push({roi: frame.roi, inputSize: frame.inputSize, poses: poses.length});
                const whole = rows.filter((r) => !r.roi).length;
                const enough = rows.length >= 12 && whole >= 1 && rows.length - whole >= 4; // the first is whole
                if (enough || performance.now() - started > 25000) { t.stop(); resolve(); }
            }, {scoreThreshold: 0.3, roi: true, roiInputSize: 'smallest',
                onError: (e) => { error = String(e); resolve(); }});
        });
        return {rows, error};
    }""")
    assert out["error"] is None, out["error"]
    rows = out["rows"]
    roi_rows = [r for r in rows if r["roi"]]
    whole_rows = [r for r in rows if not r["roi"]]
    print(f"{len(roi_rows)} ROI results, {len(whole_rows)} whole-frame results")
    # the first result is a whole frame; later ones only when the person is lost, which the clip may not do
    assert len(roi_rows) >= 4 and len(whole_rows) >= 1 and not rows[0]["roi"], rows
    assert all(r["inputSize"] == SMALL for r in roi_rows), rows
    assert all(r["inputSize"] == [385, 385] for r in whole_rows), rows
    assert sum(r["poses"] for r in roi_rows) >= len(roi_rows) - 1, "ROI crops at 257x257 lost the person"
    assert not page.errors


def test_a_size_the_package_does_not_carry_is_a_clear_error(page: OpenedPage, astronaut: Path) -> None:
    with pytest.raises(BrowserError) as err:
        run_in_page(page.page, package_url("posenet"), astronaut.read_bytes(), {"inputSize": [200, 200]})
    assert "RangeError: inputSize: posenet has no 200x200 input size (it carries 385x385, 257x257)" in str(err.value)
    msg = page.page.evaluate("""() => {
        const bad = [{roi: true, roiInputSize: [300, 300]}, {roiInputSize: 'smallest'},
                     {roi: true, roiInputSize: 'tiny'}];
        return bad.map((o) => { try { window.detector.track(window.video, () => {}, o).stop(); return null; }
                                catch (e) { return `${e.name}: ${e.message}`; } });
    }""")
    assert msg[0] == "RangeError: roiInputSize: posenet has no 300x300 input size (it carries 385x385, 257x257)", msg
    assert msg[1] == "RangeError: roiInputSize is the input size of ROI crops: it needs roi", msg
    assert msg[2].startswith("RangeError: roiInputSize must be 'smallest'"), msg
    # the detector still works at both sizes after the errors
    ok = run_in_page(page.page, package_url("posenet"), astronaut.read_bytes(), {"inputSize": 257})
    assert ok["poses"]
    assert not page.errors

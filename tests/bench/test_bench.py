"""`edgeward bench`: the harness produces a well-formed report. Benchmarks are not tests: no speed checks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from edgeward.bench.camera import bench_clip, sample_images
from edgeward.bench.harness import SCHEMA, run_bench
from edgeward.bench.live import LiveOptions, keypoint_error, posenet_multiplier, throughput_ratios
from edgeward.bench.report import live_markdown, markdown, write_report
from edgeward.errors import EdgewardError
from edgeward.package.manifest import MANIFEST_FILE, pick_variant, read_manifest
from edgeward.server.app import BENCH_CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings

CONFIG_IDS = ["python-1", "python-default", "web-wasm-1", "web-wasm-2", "web-kernels-1", "web-webgpu", "tfjs-wasm",
              "tfjs-wasm-equal"]
LIVE_IDS = ["live-edgeward-wasm-1", "live-edgeward-wasm-2-serial", "live-edgeward-wasm-2-eager", "live-edgeward-wasm-2",
            "live-edgeward-wasm-2-roi-smallest",  # the posenet package carries 257x257 (its ROI crops run at it)
            "live-edgeward-kernels-1", "live-edgeward-kernels-1-roi-smallest",  # its int8-kernels, one thread
            "live-tfjs-posenet",
            "live-tfjs-posenet-equal"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY_LIVE = LiveOptions(frames=4, long_task_frames=2, min_seconds=0, warmup=1)


def _positive_ms(config: dict[str, Any]) -> None:
    assert config["load_ms"] > 0 and config["first_inference_ms"] > 0, config
    for key in ("inference_ms", "e2e_ms"):
        s = config[key]
        if s is None:
            continue
        assert set(s) == {"p50", "p95", "mean", "min", "n"}, config
        assert 0 < s["min"] <= s["p50"] <= s["p95"], config


@pytest.fixture(scope="module")
def report(posenet_dir: Path) -> dict[str, Any]:
    if not Path(get_settings().chromium).is_file():
        pytest.skip("no Chromium")
    pytest.importorskip("playwright.sync_api")
    return run_bench(str(posenet_dir), runs=2, warmup=0, live=TINY_LIVE)


def test_report_is_well_formed(report: dict[str, Any], tmp_path: Path, posenet_dir: Path) -> None:
    assert report["schema"] == SCHEMA and report["package"] == "posenet@1.0.0" and report["runs"] == 2
    assert report["machine"]["cross_origin_isolated"] is True
    assert report["page_errors"] == []  # no CSP violation, no uncaught error in the bench page
    ids = [c["id"] for c in report["configs"]]
    n = max(2, report["machine"]["hardware_concurrency"])
    assert ids == [i.replace("web-wasm-2", f"web-wasm-{n}") for i in CONFIG_IDS]
    by_id = {c["id"]: c for c in report["configs"]}
    for cid in ("python-1", "python-default", "web-wasm-1", f"web-wasm-{n}", "web-kernels-1", "tfjs-wasm",
                "tfjs-wasm-equal"):
        assert by_id[cid]["status"] == "ok", by_id[cid]
        _positive_ms(by_id[cid])
    kernels = by_id["web-kernels-1"]  # {backend: 'kernels'}: the package's int8-kernels, one thread, no fallback
    assert (kernels["backend"], kernels["threads"], kernels["variant"]) == ("kernels", 1, "int8-kernels")
    for cid in ("python-1", "python-default", "web-wasm-1", f"web-wasm-{n}"):  # the Edgeward runtime: frames too
        assert by_id[cid]["e2e_ms"]["n"] == 2
    assert by_id["tfjs-wasm"]["e2e_ms"] is None and by_id["tfjs-wasm"]["threads"] >= 1
    assert by_id["web-wasm-1"]["threads"] == 1 and by_id[f"web-wasm-{n}"]["threads"] == n
    # unasked, every configuration runs the file the browser runtime picks on WASM (int8-wasm where there is one)
    made = pick_variant(read_manifest(posenet_dir / MANIFEST_FILE), "wasm")
    assert by_id["web-wasm-1"]["variant"] == by_id[f"web-wasm-{n}"]["variant"] == report["variant"] == made
    # TF.js at Edgeward's thread count: the page reports twice the cores, TF.js then takes n threads
    assert by_id["tfjs-wasm-equal"]["threads"] == n and by_id["tfjs-wasm-equal"]["threads_asked"] == n
    versus = [(r["versus"], r["edgeward"], r["tfjs"]) for r in report["raw_ratio"]]
    t = by_id["tfjs-wasm"]["threads"]
    assert versus == [("as users get it", f"web-wasm-{n}", "tfjs-wasm"),
                      ("at equal threads", f"web-wasm-{t}", "tfjs-wasm"),
                      ("at equal threads", f"web-wasm-{n}", "tfjs-wasm-equal"),
                      ("at equal threads" if t == 1 else "TF.js with more threads", "web-kernels-1", "tfjs-wasm"),
                      ("TF.js with more threads", "web-kernels-1", "tfjs-wasm-equal")]
    assert all(r["ratio"] > 0 for r in report["raw_ratio"])
    gpu = by_id["web-webgpu"]
    assert gpu["status"] in ("ok", "unavailable", "error") and (gpu["status"] == "ok" or gpu["reason"])

    paths = write_report(report, tmp_path / "out")
    assert json.loads(paths["json"].read_text()) == report
    table = paths["markdown"].read_text()
    n_live = len(report["live"]["configs"])
    assert table.count("\n| ") == 1 + len(report["configs"]) + 1 + n_live and "Inference p50 ms" in table
    assert "## Live video" in table and "Live throughput Edgeward / TF.js pipeline, as users get it" in table
    assert "Raw inference speed Edgeward / TF.js, at equal threads" in table
    assert "Live throughput Edgeward / TF.js pipeline, at equal threads" in table
    assert paths["png"].read_bytes()[:8] == PNG_MAGIC and paths["png"].stat().st_size > 5_000


def test_live_video_section_is_well_formed(report: dict[str, Any]) -> None:
    live = report["live"]
    assert live["options"] == {"frames": 4, "long_task_frames": 2, "min_seconds": 0, "warmup": 1, "camera_fps": 30}
    assert live["camera"]["frameRate"] == 30  # what Chromium says the fake webcam gives
    assert "single pose" in live["mode"] and live["camera"]["width"] > 0 and live["camera"]["height"] > 0
    n = max(2, report["machine"]["hardware_concurrency"])
    assert [c["id"] for c in live["configs"]] == [i.replace("wasm-2", f"wasm-{n}") for i in LIVE_IDS]
    for c in live["configs"]:
        assert c["status"] == "ok", c
        assert c["page_errors"] == [], c
        assert c["load_ms"] > 0 and c["first_frame_ms"] > 0 and c["frames"] >= 4 and c["seconds"] > 0
        assert c["poses_per_second"] > 0 and c["e2e_ms"]["n"] == c["frames"]
        assert 0 < c["e2e_ms"]["min"] <= c["e2e_ms"]["p50"] <= c["e2e_ms"]["p95"]
        assert 0 <= c["dropped_frames"] <= c["video_frames"] and 0 <= c["frames_with_pose"] <= c["frames"]
        lt = c["long_tasks"]
        assert lt["frames"] == 2 and lt["count"] >= 0 and lt["max_ms"] >= 0 and lt["total_ms"] >= lt["max_ms"]
        assert c["long_tasks_all_frames"]["count"] >= lt["count"]
        heap = c["heap"]
        assert heap["frames"] == c["frames"] and heap["page"]["before"]["used"] > 0
        assert isinstance(heap["page"]["growth_mb"], float)
        still = c["still_vs_python"]
        assert still is not None and still["keypoints"] > 0 and still["mean_px"] >= 0
    by_id = {c["id"]: c for c in live["configs"]}
    edgeward_ids = [f"live-edgeward-wasm-{t}" for t in (1, f"{n}-serial", f"{n}-eager", n, f"{n}-roi-smallest")]
    for cid in edgeward_ids:  # the Edgeward runtime: its worker's heap too, and the public API gives Python's keypoints
        c = by_id[cid]
        assert c["threads"] == (1 if cid.endswith("-1") else n) and c["heap"]["worker"]["before"]["used"] > 0
        # against Python's fp32: the same file to the pixel; int8-wasm (tuned per CPU) by its accuracy gate's rule,
        # the confident keypoints within 8 px, all but one (one photo's mean can exceed the gate's 2 px over all)
        still = c["still_vs_python"]
        assert still["mean_px"] < 1.5 if c["variant"] == "fp32" else still["within_radius"] >= still["keypoints"] - 1, \
            still
        assert c["variant"] == report["variant"]
        assert c["worker_timings_ms"]["inferenceMs"] > 0  # the worker's own breakdown of a frame
    for cid in ("live-edgeward-kernels-1", "live-edgeward-kernels-1-roi-smallest"):
        c = by_id[cid]
        assert (c["backend"], c["threads"], c["variant"]) == ("kernels", 1, "int8-kernels"), c
        assert c["still_vs_python"]["mean_px"] < 2.0, c["still_vs_python"]  # the accuracy gate's mean
        assert sum(c["input_sizes"].values()) == c["frames"]  # every result says the input size it ran at
        # whole frames at the package's own size; only ROI crops (frames after a tracked pose) at the smaller one
        assert set(c["input_sizes"]) <= ({"385x385", "257x257"} if cid.endswith("roi-smallest") else {"385x385"})
    assert "ROI + smallest input (257x257 on crops)" in by_id[f"live-edgeward-wasm-{n}-roi-smallest"]["label"]
    equal = by_id["live-tfjs-posenet-equal"]
    assert equal["threads"] == n and equal["threads_asked"] == 2 * n  # the page reported 2n cores
    tfjs = by_id["live-tfjs-posenet"]
    assert tfjs["threads"] >= 1 and tfjs["threads_asked"] == report["machine"]["hardware_concurrency"]
    assert tfjs["heap"]["worker"] is None and tfjs["worker_timings_ms"] is None
    assert tfjs["tfjs"]["version"] == report["versions"]["tfjs"]
    assert tfjs["tfjs"]["model_options"] == {"modelUrl": "/tfjs-models/posenet/1.0.0/posenet.json",
                                             "outputStride": 16, "inputResolution": 385, "multiplier": 0.75}
    assert tfjs["tfjs"]["tensors_after"] == tfjs["tfjs"]["tensors_before"]  # no tensor leak in the loop
    # the shim maps the graph's outputs right: TF.js's own pipeline lands on Python's keypoints (its resize differs)
    assert tfjs["still_vs_python"]["mean_px"] < 10
    kernels_ids = ["live-edgeward-kernels-1", "live-edgeward-kernels-1-roi-smallest"]
    assert [(r["versus"], r["edgeward"], r["tfjs"]) for r in live["throughput_ratio"]] == [
        *(("as users get it", e, "live-tfjs-posenet") for e in edgeward_ids + kernels_ids),
        ("TF.js with more threads", edgeward_ids[0], "live-tfjs-posenet-equal"),
        *(("at equal threads", e, "live-tfjs-posenet-equal") for e in edgeward_ids[1:]),
        *(("TF.js with more threads", e, "live-tfjs-posenet-equal") for e in kernels_ids)]
    assert all(r["ratio"] > 0 for r in live["throughput_ratio"])


def test_report_without_browser_writes_files(posenet_dir: Path, tmp_path: Path) -> None:
    report = run_bench(str(posenet_dir), runs=1, warmup=0, browser=False)
    assert [c["id"] for c in report["configs"]] == ["python-1", "python-default"] and report["live"] is None
    for c in report["configs"]:
        _positive_ms(c)
    paths = write_report(report, tmp_path)
    assert paths["png"].read_bytes()[:8] == PNG_MAGIC


def test_server_serves_only_the_original_tfjs_model_files(posenet_dir: Path, posenet_json: Path) -> None:
    with serve_in_thread() as base:
        ok = httpx.get(f"{base}/tfjs-models/posenet/1.0.0/{posenet_json.name}")
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        assert ok.headers["cross-origin-embedder-policy"] == "require-corp"
        assert httpx.get(f"{base}/tfjs-models/posenet/1.0.0/posenet.bin").status_code == 200
        assert httpx.get(f"{base}/tfjs-models/posenet/1.0.0/package.json").status_code == 404
        assert httpx.get(f"{base}/tfjs-models/posenet/9.9.9/{posenet_json.name}").status_code == 404
        assert httpx.get(f"{base}/tfjs-models/posenet/1.0.0/..%2Fposenet.json").status_code == 404
        wasm = httpx.get(f"{base}/vendor/tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm")
        assert wasm.status_code == 200 and wasm.headers["content-type"] == "application/wasm"
        posenet = httpx.get(f"{base}/vendor/posenet/posenet.min.js")
        assert posenet.status_code == 200 and posenet.headers["content-type"].startswith("text/javascript")


def test_only_the_bench_pages_allow_blob_workers() -> None:
    """TF.js's threaded WASM build needs blob: scripts and workers: allowed on the bench pages only."""
    with serve_in_thread() as base:
        for page in ("/apps/bench/", "/apps/bench/live.html", "/apps/bench/live.js"):
            assert httpx.get(base + page).headers["content-security-policy"] == BENCH_CONTENT_SECURITY_POLICY
        assert httpx.get(f"{base}/apps/playground/").headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "blob:" not in CONTENT_SECURITY_POLICY.split("worker-src")[1].split(";")[0]
    assert "worker-src 'self' blob:" in BENCH_CONTENT_SECURITY_POLICY


def test_live_helpers() -> None:
    ref = [{"x": 10.0, "y": 10.0, "score": 0.9}, {"x": 0.0, "y": 0.0, "score": 0.1}, {"x": 5.0, "y": 5.0, "score": 0.6}]
    got = [{"x": 13.0, "y": 14.0, "score": 0.8}, {"x": 99.0, "y": 99.0, "score": 0.9},
           {"x": 5.0, "y": 5.0, "score": 0.7}]
    assert keypoint_error(got, ref) == {"mean_px": 2.5, "max_px": 5.0, "keypoints": 2, "within_radius": 2}
    assert keypoint_error(got, ref, radius_px=4.0)["within_radius"] == 1
    assert keypoint_error(None, ref) is None and keypoint_error(got, [{**ref[1]}]) is None
    configs = [{"id": "live-edgeward-wasm-2", "label": "E2", "runtime": "onnxruntime-web (Edgeward)", "status": "ok",
                "poses_per_second": 9.0},
               {"id": "live-tfjs-posenet", "label": "T", "runtime": "TF.js", "status": "ok", "poses_per_second": 6.0}]
    assert throughput_ratios(configs) == [{"edgeward": "live-edgeward-wasm-2", "tfjs": "live-tfjs-posenet",
                                           "versus": "as users get it", "label": "E2", "ratio": 1.5}]
    # TF.js at 2 threads: the 2-thread row is 'at equal threads', the 1-thread kernels row 'TF.js with more threads'
    configs = [{**configs[0], "threads": 2},
               {"id": "live-edgeward-kernels-1", "label": "K", "runtime": "Edgeward kernels", "status": "ok",
                "poses_per_second": 12.0, "threads": 1},
               {"id": "live-tfjs-posenet-equal", "label": "T2", "runtime": "TF.js", "status": "ok",
                "poses_per_second": 8.0, "threads": 2}]
    assert [(r["edgeward"], r["versus"], r["ratio"]) for r in throughput_ratios(configs)] == [
        ("live-edgeward-wasm-2", "at equal threads", 1.12), ("live-edgeward-kernels-1", "TF.js with more threads", 1.5)]
    assert throughput_ratios(configs[:1]) == []
    with pytest.raises(EdgewardError, match="--video-frames"):
        LiveOptions(frames=0).check()
    with pytest.raises(EdgewardError, match="--camera-fps must be 1 to 240, not 0"):
        LiveOptions(camera_fps=0).check()


def test_posenet_graph_is_mobilenet_075(posenet_json: Path) -> None:
    assert posenet_multiplier(posenet_json) == 0.75  # first conv: 24 = 0.75 × 32 channels


def test_bench_clip_is_a_y4m_video(tmp_path: Path) -> None:
    clip = bench_clip(tmp_path / "camera.y4m", width=64, height=48, fps=30, repeat=2)
    data = clip.read_bytes()
    assert data.startswith(b"YUV4MPEG2 W64 H48 F30:1 ") and data.count(b"FRAME\n") == 6
    assert len(data) == data.index(b"\n") + 1 + 6 * (len(b"FRAME\n") + 64 * 48 * 3 // 2)


@pytest.mark.parametrize(("fps", "frames_per_photo"), [(30, 10), (60, 20), (2, 1)])
def test_the_clip_shows_each_photo_a_third_of_a_second_at_any_frame_rate(tmp_path: Path, fps: int,
                                                                          frames_per_photo: int) -> None:
    data = bench_clip(tmp_path / "camera.y4m", width=16, height=16, fps=fps).read_bytes()
    assert data.startswith(f"YUV4MPEG2 W16 H16 F{fps}:1 ".encode())
    assert data.count(b"FRAME\n") == frames_per_photo * len(sample_images())


def test_markdown_without_live_or_browser_has_no_live_section(posenet_dir: Path) -> None:
    report = run_bench(str(posenet_dir), runs=1, warmup=0, browser=False, live=TINY_LIVE)
    assert report["live"] is None and "## Live video" not in markdown(report)


def test_a_loop_that_keeps_up_with_the_camera_is_called_capped(report: dict[str, Any]) -> None:
    live = copy.deepcopy(report["live"])
    fastest = max((c for c in live["configs"] if c["status"] == "ok"), key=lambda c: c["poses_per_second"])
    fps = fastest["poses_per_second"]
    live["camera"] = {**live["camera"], "frameRate": fps}
    (line,) = [x for x in live_markdown(live) if x.startswith("**Capped by the camera**: ")]
    for c in live["configs"]:  # the rows at 95 % of the camera's rate or more, and only those
        if c["status"] == "ok":
            named = f"{c['label']} ({c['poses_per_second']:.2f} poses/s)" in line
            assert named == (c["poses_per_second"] >= 0.95 * fps), (c["label"], c["poses_per_second"], line)
    assert f"kept up with the {fps:g} fps camera" in line
    live["camera"]["frameRate"] = 1000
    assert "Capped by the camera" not in "\n".join(live_markdown(live))

"""web/src/video-loop.js under Node: at most `inFlight` runs at once, other frames dropped, stop() stops."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

WEB_SRC = Path(__file__).resolve().parents[2] / "web" / "src"

# A fake <video>: the test fires its frame callbacks by hand; each run() resolves when released.
SCRIPT = """
import { runVideoLoop } from %(module)s;
const callbacks = [];
const video = { readyState: 4, videoWidth: 640, requestVideoFrameCallback: (fn) => callbacks.push(fn) };
const tick = () => new Promise((r) => setTimeout(r, 0));
const frame = async () => { callbacks.splice(0).forEach((fn) => fn()); await tick(); };
const pending = [];
let running = 0, maxRunning = 0, runs = 0, dropped = 0, errors = [];
const loop = runVideoLoop(video, {
  inFlight: %(in_flight)d,
  run: () => { runs++; running++; maxRunning = Math.max(maxRunning, running);
    return new Promise((resolve, reject) => pending.push((fail) => {
      running--;
      if (fail) reject(new Error(fail)); else resolve();
    }));
  },
  onDrop: () => { dropped++; },
  onError: (e) => errors.push(e.message),
});
for (let i = 0; i < 6; i++) await frame();          // 6 frames while nothing finishes
const afterBurst = { runs, dropped, inFlight: loop.inFlight };
pending.splice(0).forEach((done, i) => done(i === 0 ? 'boom' : null));  // all finish, the first fails
await tick();
await frame(); await frame();
const afterRelease = { runs, dropped };
loop.stop();
pending.splice(0).forEach((done) => done('late'));   // failures after stop() are not reported
for (let i = 0; i < 3; i++) await frame();
console.log(JSON.stringify({ afterBurst, afterRelease, final: { runs, dropped }, maxRunning, errors }));
"""


@pytest.mark.parametrize("in_flight", [1, 2])
def test_loop_keeps_at_most_in_flight_runs(in_flight: int, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (scripts/setup.sh needs Node 20)")
    script = tmp_path / "loop.mjs"
    script.write_text(SCRIPT % {"module": json.dumps((WEB_SRC / "video-loop.js").as_uri()), "in_flight": in_flight})
    out = json.loads(subprocess.run([node, str(script)], check=True, capture_output=True, text=True).stdout)
    assert out["maxRunning"] == in_flight
    assert out["afterBurst"] == {"runs": in_flight, "dropped": 6 - in_flight, "inFlight": in_flight}
    # once released, the next two frames start new runs again, up to in_flight of them
    assert out["afterRelease"] == {"runs": 2 * in_flight, "dropped": 6 - in_flight + 2 - in_flight}
    # stop(): no more runs, no more drops; a run failing after stop() is not reported
    assert out["final"] == out["afterRelease"]
    assert out["errors"] == ["boom"]


def test_bad_in_flight_is_a_range_error(tmp_path: Path) -> None:
    script = tmp_path / "bad.mjs"
    module = json.dumps((WEB_SRC / "video-loop.js").as_uri())
    script.write_text(f"import {{ runVideoLoop }} from {module};\n"
                      "try { runVideoLoop({}, { run: () => {}, inFlight: 0 }); }\n"
                      "catch (e) { console.log(e.name + ': ' + e.message); }\n")
    out = subprocess.run(["node", str(script)], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "RangeError: inFlight must be an integer >= 1, got 0"

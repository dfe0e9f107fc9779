"""A fake webcam for headless Chromium: a YUV4MPEG2 (.y4m) clip of real photos.

Chromium plays it in a loop as the camera with ``--use-fake-device-for-media-stream
--use-file-for-fake-video-capture=FILE.y4m`` (see ``edgeward.browser.chromium.fake_camera_args``).
Used by ``edgeward bench`` for live-video throughput and by the browser tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def rgb_to_i420(rgb: np.ndarray) -> bytes:
    """BT.601 limited-range I420 (what Chromium's y4m reader assumes); even width and height."""
    f = rgb.astype(np.float64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def sub(c: np.ndarray) -> np.ndarray:
        return (c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2]) / 4

    planes = [y, sub(u), sub(v)]
    return b"".join(np.clip(np.round(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def fit(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """``img`` (H×W×3 or ×4 uint8) scaled down to fit and centred on a black width × height canvas."""
    from PIL import Image

    im = Image.fromarray(img).convert("RGB")
    im.thumbnail((width, height))
    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    canvas.paste(im, ((width - im.width) // 2, (height - im.height) // 2))
    return np.asarray(canvas)


def write_y4m(path: Path, images: Sequence[np.ndarray], width: int = 640, height: int = 480,
              fps: int = 10, repeat: int = 5) -> Path:
    """A 4:2:0 YUV4MPEG2 clip: each image (letterboxed to width × height) shown for ``repeat`` frames."""
    with Path(path).open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for img in images:
            frame = rgb_to_i420(fit(img, width, height))
            for _ in range(repeat):
                f.write(b"FRAME\n" + frame)
    return Path(path)


def sample_images() -> list[np.ndarray]:
    """Real photos with people (scikit-image): one person, two side by side, the first mirrored."""
    from edgeward.runtime.samples import skimage_data

    astronaut = skimage_data().astronaut()
    people = np.concatenate([astronaut[::2, ::2]] * 2, axis=1)
    return [astronaut, people, np.fliplr(astronaut)]


def bench_clip(path: Path, width: int = 640, height: int = 480, fps: int = 30, repeat: int | None = None) -> Path:
    """The bench's camera: 640×480 at 30 fps (faster than the models, so frames must be dropped); each photo
    for a third of a second (``repeat`` frames: fps / 3) at any frame rate, so the scene changes as often."""
    return write_y4m(path, sample_images(), width, height, fps, max(1, round(fps / 3)) if repeat is None else repeat)


def i420_to_rgb(data: bytes, width: int, height: int) -> np.ndarray:
    """One I420 frame back to RGB uint8 (BT.601 limited range, chroma repeated over its 2×2 block): the
    inverse of :func:`rgb_to_i420`, as a browser decodes the fake camera's frames."""
    n = width * height
    y = np.frombuffer(data, np.uint8, n).reshape(height, width).astype(np.float64) - 16
    planes = [np.frombuffer(data, np.uint8, n // 4, n + i * (n // 4)).reshape(height // 2, width // 2)
              for i in (0, 1)]
    u, v = (np.repeat(np.repeat(p.astype(np.float64) - 128, 2, 0), 2, 1) for p in planes)
    rgb = np.stack([1.164 * y + 1.596 * v, 1.164 * y - 0.392 * u - 0.813 * v, 1.164 * y + 2.017 * u], axis=-1)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def read_y4m(path: Path) -> list[np.ndarray]:
    """The frames of a clip :func:`write_y4m` wrote, as RGB uint8 images (4:2:0 only)."""
    data = Path(path).read_bytes()
    header, _, body = data.partition(b"\n")
    fields = {f[:1]: f[1:] for f in header.split()[1:]}
    if not header.startswith(b"YUV4MPEG2 ") or not fields.get(b"C", b"420").startswith(b"420"):
        raise ValueError(f"{path}: not a 4:2:0 YUV4MPEG2 clip")
    width, height = int(fields[b"W"]), int(fields[b"H"])
    size = width * height * 3 // 2
    frames: list[np.ndarray] = []
    at = 0
    while at < len(body):
        if not body.startswith(b"FRAME\n", at) or len(body) - at - 6 < size:
            raise ValueError(f"{path}: frame {len(frames)} is cut short or has frame parameters")
        frames.append(i420_to_rgb(body[at + 6: at + 6 + size], width, height))
        at += 6 + size
    return frames

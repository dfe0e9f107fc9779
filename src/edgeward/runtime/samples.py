"""Real photos shipped by scikit-image: used to verify conversions and to test tasks."""

from __future__ import annotations

from pathlib import Path

from edgeward.errors import ImageError

DEFAULT_VERIFY_IMAGES = ("astronaut.png", "camera.png")


def sample_path(name: str) -> Path:
    try:
        import skimage.data
    except ImportError:  # pragma: no cover - scikit-image is a dependency
        raise ImageError("sample photos need scikit-image (pip install scikit-image)") from None
    path = Path(skimage.data.__file__).parent / name
    if not path.is_file():
        raise ImageError(f"sample photo '{name}' is not shipped by scikit-image (looked in {path.parent})")
    return path

"""Real photos shipped by scikit-image: used to verify conversions and to test tasks.

scikit-image is an extra (``edgeward[samples]``; the zoo, bench and dev extras include it): running a
package on your own images does not need it.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from edgeward.errors import ImageError, MissingExtraError

DEFAULT_VERIFY_IMAGES = ("astronaut.png", "camera.png")


def skimage_data() -> ModuleType:
    """``skimage.data``, or a MissingExtraError naming the extra that brings it."""
    try:
        import skimage.data
    except ImportError:
        raise MissingExtraError("the sample photos need the 'samples' extra (scikit-image): pip install "
                                "'edgeward[samples]'; `edgeward convert` takes your own with --image") from None
    return skimage.data


def sample_path(name: str) -> Path:
    path = Path(skimage_data().__file__ or "").parent / name
    if not path.is_file():
        raise ImageError(f"sample photo '{name}' is not shipped by scikit-image (looked in {path.parent})")
    return path

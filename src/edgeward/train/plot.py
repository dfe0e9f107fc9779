"""``edgeward train --plot curves.png``: loss and accuracy per epoch (train and held out) beside the
held-out confusion matrix, one PNG (matplotlib, Agg: no display needed). A KNN head has no epochs:
its picture is the confusion matrix alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgeward.errors import OptionError, ToolMissingError
from edgeward.package.manifest import TrainingReport


def _curves(ax: Any, epochs: list[int], report: TrainingReport, key: str, title: str) -> None:
    ax.plot(epochs, [getattr(r, f"train_{key}") for r in report.history], "o-", label="train", color="#3b7dd8")
    test = [getattr(r, f"test_{key}") for r in report.history]
    if any(v is not None for v in test):
        ax.plot(epochs, test, "s-", label="held out", color="#e59a2f")
    ax.set_xlabel("epoch")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _confusion(ax: Any, report: TrainingReport, labels: list[str]) -> None:
    counts = report.confusion
    ax.imshow(counts, cmap="Blues")
    top = max((max(row) for row in counts), default=0)
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            if n:
                ax.text(j, i, str(n), ha="center", va="center", fontsize=7,
                        color="white" if n > top / 2 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=90 if len(labels) > 6 else 0, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = "-" if report.test_accuracy is None else f"{report.test_accuracy:.1%}"
    ax.set_title(f"held out ({report.test} examples): {accuracy}")


def check_plot_path(path: str | Path) -> Path:
    """``path`` if a PNG can be written there (checked before training, so a typo costs no run)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise OptionError(f"--plot {path}: the picture is a PNG; name it *.png")
    if not path.parent.is_dir():
        raise OptionError(f"--plot {path}: folder {path.parent} does not exist")
    return path


def plot_training(report: TrainingReport, labels: list[str], path: str | Path, title: str = "") -> Path:
    """Write the PNG to ``path`` (its folder must exist) and return it."""
    path = check_plot_path(path)
    try:
        import matplotlib
    except ImportError:
        raise ToolMissingError("--plot needs matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 3 if report.history else 1
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4.4), squeeze=False)
    if report.history:
        epochs = [r.epoch for r in report.history]
        _curves(axes[0][0], epochs, report, "loss", "cross-entropy")
        _curves(axes[0][1], epochs, report, "accuracy", "accuracy")
    _confusion(axes[0][-1], report, labels)
    fig.suptitle(title or f"{report.options.get('head')} head on {report.data}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

"""``edgeward train DATA --name NAME``: train a head and write it to the store as a package.

A progress bar over the epochs (and over the images, for an image folder) on stderr; then the
per-epoch table, the report and the package folder — or, with ``--json``, ``{package, report}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from edgeward.cli.exit_codes import friendly
from edgeward.cli.options import HeadKind, Optimizer
from edgeward.cli.output import Column, JsonFlag, emit, err, table
from edgeward.train.options import HeadOptions

if TYPE_CHECKING:
    from edgeward.package.manifest import TrainingReport

_EPOCHS = [Column("epoch", right=True), Column("train_loss", "train loss", ".4f", True),
           Column("train_accuracy", "train acc", ".2%", True), Column("test_loss", "test loss", ".4f", True),
           Column("test_accuracy", "test acc", ".2%", True)]
_CLASSES = [Column("label"), Column("examples", right=True), Column("test_accuracy", "held-out acc", ".2%", True)]


_D = HeadOptions()  # the defaults, written once in train/options.py

def _summary(report: TrainingReport) -> list[dict[str, Any]]:
    acc = "-" if report.test_accuracy is None else f"{report.test_accuracy:.2%}"
    rows = [("data", report.data), ("examples", f"{report.examples} ({report.train} train, {report.test} held out)"),
            ("head", ", ".join(f"{k}={v}" for k, v in report.options.items())),
            ("held-out accuracy", acc), ("data sha256", report.data_sha256)]
    if report.best_epoch and report.history and report.best_epoch != report.history[-1].epoch:
        rows.insert(4, ("best epoch (kept)", str(report.best_epoch)))
    return [{"field": k, "value": v} for k, v in rows]


class _Bars:
    """Progress bars on stderr, shown from the first update only (an early error stays one line)."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def update(self, what: str, done: int, total: int, note: str) -> None:
        if self.progress is None:
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[note]}"), TimeElapsedColumn(), console=err,
                                     transient=True)
            self.progress.start()
        if what not in self.tasks:
            self.tasks[what] = self.progress.add_task(what, total=total, note="")
        self.progress.update(self.tasks[what], completed=done, total=total, note=note)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@friendly
def train(
    data: Annotated[str, typer.Argument(help="'digits', a CSV file (numeric columns + a label column) or an image "
                                             "folder (one subfolder per class)")],
    name: Annotated[str, typer.Option("--name", help="Name of the package to write")],
    version: Annotated[str, typer.Option(help="Its version")] = "1.0.0",
    base: Annotated[str | None, typer.Option(help="Image folders: the package whose embedding the head learns "
                                                  "on (default efficientnet-lite0), or a pose package (posenet, "
                                                  "a movenet) for pose features")] = None,
    head: Annotated[HeadKind, typer.Option(help="knn (stores the examples), linear or mlp")] = HeadKind.mlp,
    epochs: Annotated[int, typer.Option(help="Passes over the training split")] = _D.epochs,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Examples per step")] = _D.batch_size,
    learning_rate: Annotated[float, typer.Option("--learning-rate", help="Step size")] = _D.learning_rate,
    optimizer: Annotated[Optimizer, typer.Option(help="Optimizer")] = Optimizer.adam,
    hidden: Annotated[int, typer.Option(help="mlp: hidden units")] = _D.hidden,
    dropout: Annotated[float, typer.Option(help="mlp: dropout rate of the hidden layer, in [0, 1)")] = _D.dropout,
    patience: Annotated[int | None, typer.Option(help="Stop after this many epochs without a better held-out "
                                                      "loss, keeping the best epoch")] = None,
    test_split: Annotated[float, typer.Option("--test-split", help="Fraction held out per class")] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the split, the initialisation and the shuffling")] = 0,
    label_column: Annotated[str | None, typer.Option("--label-column", help="CSV: the column holding the class "
                                                                           "(default: the last)")] = None,
    k: Annotated[int, typer.Option("--k", help="knn: neighbours that vote")] = 3,
    force: Annotated[bool, typer.Option("--force", help="Replace NAME@VERSION if the store has it")] = False,
    plot: Annotated[Path | None, typer.Option(help="Write training curves and the confusion matrix to this "
                                                   "PNG")] = None,
    browser: Annotated[bool, typer.Option("--browser", help="Also train in headless Chromium (the browser "
                                                            "trainer, same features, options and seed) and "
                                                            "compare")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Train a classifier head (KNN, linear or MLP) and write it to the store as a model package."""
    from edgeward.train.pipeline import train as run
    from edgeward.train.plot import check_plot_path, plot_training

    if plot is not None:
        check_plot_path(plot)
    rows: list[dict[str, Any]] = []
    bars = _Bars()

    def on_image(done: int, total: int, path: Path) -> None:
        bars.update("images → features", done, total, path.name)

    def on_epoch(record: dict[str, Any]) -> None:
        rows.append(record)
        test = record["test_accuracy"]
        note = f"loss {record['train_loss']:.4f}" + ("" if test is None else f" · held-out acc {test:.2%}")
        bars.update("training", record["epoch"], epochs, note)

    try:
        result = run(data, name, version=version, base=base, head=head.value, epochs=epochs, batch_size=batch_size,
                     learning_rate=learning_rate, optimizer=optimizer.value, hidden=hidden, dropout=dropout,
                     patience=patience, test_split=test_split, seed=seed, label_column=label_column, k=k,
                     force=force, on_epoch_end=on_epoch, on_image=on_image)
    finally:
        bars.stop()
    report = result.report
    labels = result.dataset.labels
    in_browser = None
    if browser:
        from edgeward.browser.train import compare, train_in_browser

        err.print("training the same in headless Chromium …")
        run_options = dict(report.options) | ({"k": k} if head.value == "knn" else {})
        in_browser = compare(result.model, report.test_accuracy,
                             train_in_browser(result.dataset, run_options, test_split))
    if plot is not None:
        plot_training(report, labels, plot, f"{name}@{version}: {report.options.get('head')} head")
    per_class = [{"label": label, "examples": n, "test_accuracy": report.per_class_accuracy.get(label)}
                 for label, n in zip(labels, report.class_counts, strict=True)]

    def render() -> list[RenderableType]:
        shown: list[RenderableType] = []
        if rows:
            shown.append(table(rows, _EPOCHS, f"{len(rows)} epoch(s)"))
        shown += [table(_summary(report), [Column("field"), Column("value")], f"{name}@{version}"),
                  table(per_class, _CLASSES, "per class")]
        if in_browser is not None:
            diff = in_browser["max_weight_diff"]
            shown.append(f"browser: held-out accuracy {in_browser['accuracy']:.2%} "
                         f"(Python {report.test_accuracy:.2%}), {in_browser['ms']:.0f} ms"
                         + ("" if diff is None else f", max |Δw| vs Python {diff:.1e}"))
        shown.append(f"package: {result.path}")
        if plot is not None:
            shown.append(f"plot: {plot}")
        return shown

    emit({"package": result.path, "name": name, "version": version, "report": report,
          "plot": plot, "browser": in_browser}, as_json, render)

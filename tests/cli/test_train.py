"""``edgeward train``: the report and the package, the PNG, and each bad input as one line, exit code 2
(src/edgeward/cli/exit_codes.py) and nothing in the store."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.cli.exit_codes import ExitCode
from tests.train.store import isolated_store, trained

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    with isolated_store(tmp_path / "s") as packages:
        yield packages


def test_digits_report_package_and_plot(store: Path, tmp_path: Path) -> None:
    png = tmp_path / "curves.png"
    out = runner.invoke(app, ["train", "digits", "--name", "digits", "--epochs", "3", "--json", "--plot", str(png)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    report = data["report"]
    assert data["package"] == str(store / "digits" / "1.0.0") and data["plot"] == str(png)
    assert [r["epoch"] for r in report["history"]] == [1, 2, 3] and report["test"] == 539
    assert report["test_accuracy"] >= 0.95 and len(report["confusion"]) == 10
    assert Image.open(png).size[0] > 1000
    table = runner.invoke(app, ["train", "digits", "--name", "digits-table", "--head", "linear", "--epochs", "2"])
    assert table.exit_code == 0, table.output
    for text in ("2 epoch(s)", "held-out accuracy", "digits-table@1.0.0", str(store / "digits-table" / "1.0.0")):
        assert text in table.stdout.replace("\n", ""), text


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["a,b,label", *rows]) + "\n")
    return path


@pytest.mark.parametrize(("case", "message"), [
    ("nan", r"nan\.csv, line 3, column 2 \('b'\): 'nan' is not a finite number"),
    ("word", r"word\.csv, line 2, column 1 \('a'\): 'one' is not a number"),
    ("column", r"column\.csv: no label column 'kind'; the columns are \['a', 'b', 'label'\]"),
    ("single", r"single\.csv: 1 class \(\['x'\]\); training needs at least 2"),
    ("images", r"b: class 'b' has no images"),
    ("mixed", r"a/notes\.txt: not an image"),
    ("one-class", r"one \('a'\) class folder"),
    ("no-embedding", r"centernet: a 'detect' package with no embedding output"),
    ("no-pose", r"2 image\(s\) with no confident pose for posenet .*a/1\.png: no confident pose"),
    ("missing", r"DATA '.*nowhere': no such file or folder"),
    ("name", r"name 'Digits' must match"),
    ("test-split", r"test_split must be a number in \[0, 1\), got 1\.0"),
    ("plot", r"--plot .*curves\.jpg: the picture is a PNG"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(case: str, message: str, tmp_path: Path) -> None:
    args = {
        "nan": [str(_csv(tmp_path / "nan.csv", ["1,2,x", "3,nan,y"]))],
        "word": [str(_csv(tmp_path / "word.csv", ["one,2,x", "3,4,y"]))],
        "column": [str(_csv(tmp_path / "column.csv", ["1,2,x", "3,4,y"])), "--label-column", "kind"],
        "single": [str(_csv(tmp_path / "single.csv", ["1,2,x", "3,4,x"]))],
        "missing": [str(tmp_path / "nowhere")],
        "name": ["digits"], "test-split": ["digits", "--test-split", "1"],
        "plot": ["digits", "--plot", str(tmp_path / "curves.jpg")],
    }.get(case)
    if args is None:  # image folders
        root = tmp_path / "photos"
        classes = {"images": {"a": True, "b": False}, "mixed": {"a": True, "b": True},
                   "one-class": {"a": True}, "no-embedding": {"a": True, "b": True},
                   "no-pose": {"a": True, "b": True}}[case]
        for label, has_image in classes.items():
            (root / label).mkdir(parents=True)
            if has_image:
                Image.new("RGB", (8, 8), (200, 10, 10)).save(root / label / "1.png")
        if case == "mixed":
            (root / "a" / "notes.txt").write_text("a note\n")
        bases = {"no-embedding": "centernet", "no-pose": "posenet"}
        args = [str(root), *(["--base", bases[case]] if case in bases else [])]
    name = "Digits" if case == "name" else "bad"
    with isolated_store(tmp_path / "s", ("centernet", "posenet") if case.startswith("no-") else ()) as packages:
        out = runner.invoke(app, ["train", *args, "--name", name])
        assert out.exit_code == ExitCode.BAD_INPUT, out.output
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
        assert re.search(message, lines[0]), lines[0]
        assert trained(packages) == []


def test_an_existing_name_is_refused_without_force(store: Path) -> None:
    first = runner.invoke(app, ["train", "digits", "--name", "twice", "--head", "knn", "--json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["train", "digits", "--name", "twice", "--head", "knn"])
    assert again.exit_code == ExitCode.BAD_INPUT
    assert "twice@1.0.0 already exists" in again.stderr and "--force" in again.stderr
    forced = runner.invoke(app, ["train", "digits", "--name", "twice", "--head", "knn", "--k", "5", "--force",
                                 "--json"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["report"]["options"] == {"head": "knn", "k": 5}
    assert trained(store) == ["twice/1.0.0"]

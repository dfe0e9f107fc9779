"""scikit-learn importer: StandardScaler + LogisticRegression on the digits, pickles, errors."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.convert import from_sklearn
from edgeward.convert.verify import run_onnx
from edgeward.errors import ConversionError, MissingExtraError
from tests.convert.import_models import digits_pipeline

pytest.importorskip("sklearn")
pytest.importorskip("skl2onnx")


def test_digits_pipeline_converts_and_matches_sklearn(tmp_path: Path) -> None:
    pipe, x = digits_pipeline()
    result = from_sklearn(pipe, x, tmp_path / "digits.onnx")
    assert result.input_names == ["X"] and result.output_names == ["label", "probabilities"]
    assert result.report.max_abs_diff["label"] == 0.0  # every predicted class identical
    assert result.max_rel_diff["probabilities"] <= 1e-5
    out = run_onnx(result.path, {"X": x})
    assert np.array_equal(out["label"], pipe.predict(x))
    assert (out["label"] == pipe.predict(x)).mean() == 1.0


def test_cli_converts_a_pickle_with_example_rows(tmp_path: Path) -> None:
    pipe, x = digits_pipeline()
    (tmp_path / "pipe.pkl").write_bytes(pickle.dumps(pipe))
    np.save(tmp_path / "rows.npy", x)
    res = CliRunner().invoke(app, ["convert", str(tmp_path / "pipe.pkl"), "-o", str(tmp_path / "p.onnx"),
                                   "--example", str(tmp_path / "rows.npy")])
    assert res.exit_code == 0, res.output
    assert "probabilities" in res.output and "sklearn" in res.output


def test_unsupported_step_is_named(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    x, y = np.random.default_rng(0).random((40, 4), dtype=np.float32), np.arange(40) % 2
    pipe = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression()).fit(x, y)
    with pytest.raises(ConversionError, match="FunctionTransformer"):
        from_sklearn(pipe, x, tmp_path / "f.onnx")


def test_wrong_feature_count_is_a_clear_error(tmp_path: Path) -> None:
    pipe, x = digits_pipeline()
    with pytest.raises(ConversionError, match=r"shape \[5, 10\].*64 features"):
        from_sklearn(pipe, x[:5, :10], tmp_path / "d.onnx")


def test_missing_sklearn_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'edgeward\[sklearn\]'"):
        from_sklearn(object(), np.zeros((1, 3)), tmp_path / "m.onnx")

"""Small real models for the importer tests (PyTorch CNN, Keras CNN, scikit-learn digits pipeline).

Each builder imports its framework lazily, so a test module can skip when the extra is missing.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras


def torch_cnn() -> tuple[Any, Any]:
    """A small CNN (conv, batch norm, ReLU, pooling, linear) with random weights, and an example input."""
    import torch

    class SmallCNN(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(8)
            self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.fc = torch.nn.Linear(16 * 8 * 8, 10)

        def forward(self, x: Any) -> Any:
            x = torch.relu(self.bn(self.conv1(x)))
            x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
            return self.fc(torch.flatten(x, 1))

    torch.manual_seed(0)
    model = SmallCNN().eval()
    with torch.no_grad():  # non-trivial batch-norm statistics, so folding them is really tested
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    return model, torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def keras_cnn() -> tuple[Any, np.ndarray]:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1), name="image"),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.BatchNormalization(),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax", name="probs"),
    ], name="small_keras_cnn")
    x = np.random.default_rng(2).random((2, 28, 28, 1), dtype=np.float32)
    return model, x


@functools.cache
def digits_pipeline() -> tuple[Any, np.ndarray]:
    """StandardScaler + LogisticRegression fitted on scikit-learn's digits; the held-out rows as example.

    Cached (fitting takes seconds on two cores): do not modify the returned pipeline.
    """
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(x[:1500], y[:1500])
    return pipe, x[1500:]

"""Forward and backward passes of a dense ReLU network with a softmax cross-entropy loss.

Mirrored by web/src/train/backprop.js; every sum goes through ops.py (index order), so both sides
compute the same bits up to exp/log's last-place differences between libm and V8.

``layers`` is ``[(W [in, out], b [out]), …]``: every layer but the last is followed by ReLU (and, in
training, by inverted dropout: a hidden unit is kept with its value scaled by 1 / (1 - rate)).
"""

from __future__ import annotations

import numpy as np

from edgeward.train import ops

Layer = tuple[np.ndarray, np.ndarray]


def dense(a: np.ndarray, layer: Layer) -> np.ndarray:
    """a @ W + b, the bias added after the sum."""
    out = ops.matmul(a, layer[0])
    out += layer[1]
    return out


def relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, 0.0)


def forward(layers: list[Layer], x: np.ndarray,
            masks: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """(logits, inputs of each layer, pre-activations of each hidden layer). ``masks[l]`` (one per
    hidden layer, [batch, units], each 0 or 1 / (1 - rate)) multiplies hidden layer l's ReLU output."""
    inputs: list[np.ndarray] = []
    pre: list[np.ndarray] = []
    a = x
    for i, layer in enumerate(layers):
        inputs.append(a)
        z = dense(a, layer)
        if i == len(layers) - 1:
            return z, inputs, pre
        pre.append(z)
        a = relu(z) if masks is None else relu(z) * masks[i]
    raise ValueError("a network needs at least one layer")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax: exp(z - max) / the sum of those (summed in class order)."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / ops.sum_cols(e)[:, None]


def log_likelihoods(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log softmax(z)[y] per row: z_y - max - log(sum exp(z - max))."""
    top = logits.max(axis=1)
    total = ops.sum_cols(np.exp(logits - top[:, None]))
    return logits[np.arange(len(y)), y] - top - np.log(total)


def mean(values: np.ndarray) -> float:
    """Sum in index order, divided by the count (0 for none)."""
    total = 0.0
    for v in values:
        total += float(v)
    return total / len(values) if len(values) else 0.0


def loss_and_grads(layers: list[Layer], x: np.ndarray, y: np.ndarray,
                   masks: list[np.ndarray] | None = None) -> tuple[float, list[Layer]]:
    """Mean softmax cross-entropy over the batch and its gradient for every (W, b)."""
    loss, _, grads = train_batch(layers, x, y, masks)
    return loss, grads


def train_batch(layers: list[Layer], x: np.ndarray, y: np.ndarray,
                masks: list[np.ndarray] | None = None) -> tuple[float, int, list[Layer]]:
    """(mean cross-entropy, examples whose first highest logit is their class, gradients) of one batch,
    from one forward pass (with the dropout masks): what an epoch's running training figures add up."""
    logits, inputs, pre = forward(layers, x, masks)
    loss = -mean(log_likelihoods(logits, y))
    correct = int(np.count_nonzero(np.argmax(logits, axis=1) == y))
    dz = softmax(logits)
    dz[np.arange(len(y)), y] -= 1.0
    dz /= len(y)
    grads: list[Layer] = []
    for i in range(len(layers) - 1, -1, -1):
        grads.append((ops.matmul_tn(inputs[i], dz), ops.sum_rows(dz)))
        if i > 0:
            da = ops.matmul_nt(dz, layers[i][0])
            if masks is not None:
                da = da * masks[i - 1]
            dz = np.where(pre[i - 1] > 0, da, 0.0)
    return loss, correct, grads[::-1]


def scores(layers: list[Layer], x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) without dropout; the predicted class is the first highest logit."""
    logits = forward(layers, x)[0]
    correct = int(np.count_nonzero(np.argmax(logits, axis=1) == y))
    return -mean(log_likelihoods(logits, y)), correct / len(y)

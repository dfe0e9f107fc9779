"""Optimizers that update ``[(W, b), …]`` in place, mirrored by web/src/train/optim.js.

Adam (Kingma & Ba, 2014) with bias correction; the powers beta^t are running products (one multiply
per step, the same bits in both languages, where ``pow`` may differ in the last place). SGD keeps a
velocity ``v = momentum * v + g`` and steps ``p -= lr * v`` (momentum 0: plain SGD).
"""

from __future__ import annotations

import numpy as np

from edgeward.train.backprop import Layer

BETA1 = 0.9
BETA2 = 0.999
EPSILON = 1e-8


class Adam:
    def __init__(self, layers: list[Layer], lr: float, beta1: float = BETA1, beta2: float = BETA2,
                 epsilon: float = EPSILON) -> None:
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.m = [np.zeros_like(p) for layer in layers for p in layer]
        self.v = [np.zeros_like(p) for layer in layers for p in layer]
        self.power1 = 1.0  # beta1 ** t
        self.power2 = 1.0

    def step(self, layers: list[Layer], grads: list[Layer]) -> None:
        self.power1 *= self.beta1
        self.power2 *= self.beta2
        params = [p for layer in layers for p in layer]
        for p, g, m, v in zip(params, [g for pair in grads for g in pair], self.m, self.v, strict=True):
            m[...] = self.beta1 * m + (1.0 - self.beta1) * g
            v[...] = self.beta2 * v + (1.0 - self.beta2) * (g * g)
            m_hat = m / (1.0 - self.power1)
            v_hat = v / (1.0 - self.power2)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.epsilon)


class Sgd:
    def __init__(self, layers: list[Layer], lr: float, momentum: float = 0.0) -> None:
        self.lr, self.momentum = lr, momentum
        self.velocity = [np.zeros_like(p) for layer in layers for p in layer]

    def step(self, layers: list[Layer], grads: list[Layer]) -> None:
        params = [p for layer in layers for p in layer]
        for p, g, vel in zip(params, [g for pair in grads for g in pair], self.velocity, strict=True):
            vel[...] = self.momentum * vel + g
            p -= self.lr * vel

"""Losses on logits: each returns the mean loss and its gradient with respect to the logits.

Sigmoid losses compare (B, K) logits with (B, K) target bits; the softmax loss compares
(B, C) logits with (B,) class indices. Working on logits keeps BCE and softmax
cross-entropy exact where probabilities would round to 0 or 1.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.activations import sigmoid

LOSSES = ("mse", "weighted-mse", "bce", "sse", "ce")


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Loss:
    name: str
    softmax = False

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits) if self.softmax else sigmoid(logits)

    def __call__(self, logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError


class WeightedSquaredError(Loss):
    """sum_k w_k (p_k - y_k)^2 / K, averaged over the batch; p = sigmoid(logits).

    With w = 1 this is Keras' mean squared error. The lab report weights each bit by
    its value, w = [128, 64, ..., 1]; here those weights are scaled to mean 1, so the
    loss keeps MSE's scale at any width (at 64 bits the raw weights would reach 2**64).
    """

    def __init__(self, weights: np.ndarray | None = None, name: str = "mse"):
        self.weights = None if weights is None else weights / weights.mean()
        self.name = name

    def __call__(self, logits, y):
        p = sigmoid(logits)
        err = p - y
        w = 1.0 if self.weights is None else self.weights
        loss = float(np.mean(w * err * err))
        return loss, 2.0 * w * err * p * (1.0 - p) / err.size


class HalfSumSquaredError(Loss):
    """iamtrask's loss: 0.5 * sum over bits of (p - y)^2, averaged over the batch."""

    name = "sse"

    def __call__(self, logits, y):
        p = sigmoid(logits)
        err = p - y
        return float(0.5 * np.sum(err * err) / len(y)), err * p * (1.0 - p) / len(y)


class BinaryCrossEntropy(Loss):
    """Mean over bits of -y log p - (1 - y) log(1 - p), computed from logits."""

    name = "bce"

    def __call__(self, logits, y):
        # softplus(z) - y z == -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z))
        loss = np.logaddexp(0.0, logits) - y * logits
        return float(loss.mean()), (sigmoid(logits) - y) / y.size


class SoftmaxCrossEntropy(Loss):
    """Mean of -log softmax(logits)[y] over the batch."""

    name = "ce"
    softmax = True

    def __call__(self, logits, y):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(len(y))
        grad = np.exp(log_p)
        grad[rows, y] -= 1.0
        return float(-log_p[rows, y].mean()), grad / len(y)


def make_loss(name: str, bit_exponents: np.ndarray | None = None) -> Loss:
    """A loss by name; ``weighted-mse`` needs each output's power of two."""
    if name == "mse":
        return WeightedSquaredError()
    if name == "weighted-mse":
        return WeightedSquaredError(np.exp2(bit_exponents.astype(np.float64)), "weighted-mse")
    if name == "bce":
        return BinaryCrossEntropy()
    if name == "sse":
        return HalfSumSquaredError()
    if name == "ce":
        return SoftmaxCrossEntropy()
    raise ValueError(f"unknown loss {name!r}")

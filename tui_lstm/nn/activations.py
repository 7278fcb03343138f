"""Activations as (function, derivative written in terms of the function's output).

Every activation a cell uses here has a derivative that is a function of its output
alone, so the forward pass caches outputs and the backward pass never recomputes them.
Each forward takes an optional ``out`` array, so a cell can write gates in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Activation(NamedTuple):
    forward: Callable[[np.ndarray], np.ndarray]
    grad_from_output: Callable[[np.ndarray], np.ndarray]


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 0.5 * (1 + tanh(z / 2)) is sigmoid without overflow for large |z|
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(z, out=out)


def relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(z, 0.0, out=out)


ACTIVATIONS = {
    "sigmoid": Activation(sigmoid, lambda y: y * (1.0 - y)),
    "tanh": Activation(tanh, lambda y: 1.0 - y * y),
    "relu": Activation(relu, lambda y: (y > 0).astype(y.dtype)),
}

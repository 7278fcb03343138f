"""Activations as (function, derivative written in terms of the function's output).

Every activation a cell uses here has a derivative that is a function of its output
alone, so the forward pass caches outputs and the backward pass never recomputes them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np


class Activation(NamedTuple):
    forward: Callable[[np.ndarray], np.ndarray]
    grad_from_output: Callable[[np.ndarray], np.ndarray]


def sigmoid(z: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(z / 2)) is sigmoid without overflow for large |z|
    return 0.5 * (1.0 + np.tanh(0.5 * z))


ACTIVATIONS = {
    "sigmoid": Activation(sigmoid, lambda y: y * (1.0 - y)),
    "tanh": Activation(np.tanh, lambda y: 1.0 - y * y),
    "relu": Activation(lambda z: np.maximum(z, 0.0), lambda y: (y > 0).astype(y.dtype)),
}

"""Gradient check: analytic gradients against centred differences, every element of every parameter.

Run in float64, with the five-point centred difference
    f'(p) ~ (f(p - 2e) - 8 f(p - e) + 8 f(p + e) - f(p + 2e)) / 12e,
whose truncation error falls as e**4; so e can be large enough (1e-3) that rounding in
f stays near 1e-13. The relative error of one element is |a - n| / max(|a| + |n|, floor);
the floor keeps elements whose true gradient is ~0 from reporting rounding noise as error.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.losses import Loss
from tui_lstm.nn.network import Network

BOUND = 1e-7
FLOOR = 1e-4


def numerical_gradient(f, p: np.ndarray, eps: float) -> np.ndarray:
    grad = np.empty_like(p)
    for idx in np.ndindex(p.shape):
        saved = p[idx]
        values = []
        for step in (-2, -1, 1, 2):
            p[idx] = saved + step * eps
            values.append(f())
        p[idx] = saved
        grad[idx] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * eps)
    return grad


def check_gradients(net: Network, loss: Loss, x: np.ndarray, y: np.ndarray, eps: float = 1e-3) -> dict:
    """Max relative error per parameter name."""
    if net.dtype != np.float64:
        raise ValueError("gradient checks need a float64 network")
    logits, cache = net.forward(x)
    analytic = net.backward(loss(logits, y)[1], cache)

    def f():
        return loss(net.forward(x)[0], y)[0]

    errors = {}
    for name, p in net.params.items():
        numeric = numerical_gradient(f, p, eps)
        denom = np.maximum(np.abs(analytic[name]) + np.abs(numeric), FLOOR)
        errors[name] = float(np.max(np.abs(analytic[name] - numeric) / denom))
    return errors

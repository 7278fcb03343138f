"""Gradient check: analytic gradients against centred differences, every element of every parameter.

Run in float64, with the five-point centred difference
    f'(p) ~ (f(p - 2e) - 8 f(p - e) + 8 f(p + e) - f(p + 2e)) / 12e,
whose truncation error falls as e**4; so e can be large enough (1e-3) that rounding in
f stays near 1e-13. The relative error of one element is |a - n| / max(|a| + |n|, floor);
the floor keeps elements whose true gradient is ~0 from reporting rounding noise as error.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.losses import Loss, make_loss
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


def standard_cases(cells: tuple[str, ...] = tuple(CELLS)):
    """(label, network, loss, x, y) for every cell (by default), head and loss the project uses,
    each cell with each of its ``gradcheck_activations``.

    Small float64 networks on random data, seeded, so the check is repeatable. The
    data keep relu's kink away from the check's step (a finite difference across a
    kink is not a derivative), which this fixed seed does.
    """
    rng = np.random.default_rng(1234)
    T, B, D, H = 4, 3, 2, 3
    heads = [  # (head name, per_step, units, losses)
        ("per-step sigmoid", True, 1, ("mse", "weighted-mse", "bce", "sse")),
        ("last-step sigmoid", False, 4, ("mse", "weighted-mse", "bce")),
        ("softmax", False, 5, ("ce",)),
    ]
    for cell in cells:
        for activation in CELLS[cell].gradcheck_activations:
            for head, per_step, units, losses in heads:
                net = Network.build(cell, D, H, units, per_step, activation=activation, init="glorot", rng=rng)
                for p in net.params.values():  # away from the init's zeros and symmetries
                    p += rng.normal(0.0, 0.3, p.shape)
                x = rng.normal(size=(T, B, D))
                width = T * units if per_step else units
                for loss_name in losses:
                    if loss_name == "ce":
                        y = rng.integers(0, units, size=B)
                    else:
                        y = (rng.random((B, width)) > 0.5).astype(np.float64)
                    loss = make_loss(loss_name, np.arange(width))
                    yield f"{cell}({activation}) {head} {loss_name}", net, loss, x, y

"""Optimizers that update a dict of parameters in place, and gradient-norm clipping.

Adam follows Keras (epsilon 1e-7, bias correction folded into the step size) so that
the NumPy and Keras backends take the same steps.
"""

from __future__ import annotations

import numpy as np

OPTIMIZERS = ("sgd", "adam")


class SGD:
    def __init__(self, lr: float):
        self.lr = lr

    def step(self, params: dict, grads: dict) -> None:
        for name, g in grads.items():
            params[name] -= self.lr * g


class Adam:
    def __init__(self, lr: float, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-7):
        self.lr, self.beta_1, self.beta_2, self.eps = lr, beta_1, beta_2, eps
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        lr_t = self.lr * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        for name, g in grads.items():
            m = self.m.setdefault(name, np.zeros_like(g))
            v = self.v.setdefault(name, np.zeros_like(g))
            m += (1 - self.beta_1) * (g - m)
            v += (1 - self.beta_2) * (g * g - v)
            params[name] -= lr_t * m / (np.sqrt(v) + self.eps)


def make_optimizer(name: str, lr: float):
    if name == "sgd":
        return SGD(lr)
    if name == "adam":
        return Adam(lr)
    raise ValueError(f"unknown optimizer {name!r}")


def clip_global_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients together so their joint L2 norm is at most max_norm."""
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm

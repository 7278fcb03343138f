"""Optimizers that update one flat parameter vector in place, and gradient-norm clipping.

Adam follows Keras (epsilon 1e-7, bias correction folded into the step size) so that
the NumPy and Keras backends take the same steps.
"""

from __future__ import annotations

import numpy as np

OPTIMIZERS = ("sgd", "adam")


class SGD:
    def __init__(self, lr: float):
        self.lr = lr

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        params -= self.lr * grads

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        pass


class Adam:
    """Adam in place: the moments and one scratch vector are made once, and each step is
    a handful of passes over them with no new arrays (a step over the lab report's 270,000
    parameters is memory-bound work; allocating its temporaries cost more than the math)."""

    def __init__(self, lr: float, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-7):
        self.lr, self.beta_1, self.beta_2, self.eps = lr, beta_1, beta_2, eps
        self.t = 0
        self.m: np.ndarray | None = None  # first and second moments, like params once used
        self.v: np.ndarray | None = None
        self._scratch: np.ndarray | None = None

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        if self._scratch is None:
            self._scratch = np.empty_like(params)
        self.t += 1
        lr_t = float(self.lr * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t))
        m, v, scratch = self.m, self.v, self._scratch
        np.subtract(grads, m, out=scratch)  # m += (1 - beta_1) * (g - m)
        scratch *= 1 - self.beta_1
        m += scratch
        np.multiply(grads, grads, out=scratch)  # v += (1 - beta_2) * (g * g - v)
        scratch -= v
        scratch *= 1 - self.beta_2
        v += scratch
        np.sqrt(v, out=scratch)  # params -= lr_t * m / (sqrt(v) + eps)
        scratch += self.eps
        np.divide(m, scratch, out=scratch)
        scratch *= lr_t
        params -= scratch

    def state(self) -> dict[str, np.ndarray]:
        """What a continued run needs to take the same steps: the step count and both moments."""
        if not self.t:
            return {}
        return {"t": np.array(self.t), "m": self.m, "v": self.v}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        if state:
            t = state["t"]  # from a file: a count below 1 steps by 0/0 (state() is empty before a step)
            if t.shape != () or t.dtype.kind not in "iu" or t < 1:
                shown = t.item() if t.shape == () else f"an array of shape {t.shape}"
                raise ValueError(f"the optimizer's step count {shown!r} is not a whole number from 1")
            self.t, self.m, self.v = int(t), state["m"].copy(), state["v"].copy()


def make_optimizer(name: str, lr: float):
    if name == "sgd":
        return SGD(lr)
    if name == "adam":
        return Adam(lr)
    raise ValueError(f"unknown optimizer {name!r}")


def clip_global_norm(grads: np.ndarray, max_norm: float) -> float:
    """Scale the gradient vector in place so its L2 norm is at most max_norm."""
    norm = float(np.sqrt(grads @ grads))
    if norm > max_norm:
        grads *= max_norm / norm
    return norm

"""The dense read-out on top of a cell: on every step (bits) or on the last (numbers, onehot).

Its outputs are logits, flattened to (B, K_total); the sigmoid or softmax that turns
them into probabilities belongs to the loss, where it is numerically safest.
"""

from __future__ import annotations

import numpy as np


class Dense:
    def __init__(self, n_hidden: int, n_out: int, per_step: bool):
        self.n_hidden = n_hidden
        self.n_out = n_out
        self.per_step = per_step

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {"W": (self.n_hidden, self.n_out), "b": (self.n_out,)}

    def forward(self, p: dict, h: np.ndarray) -> np.ndarray:
        """h (T, B, H) -> logits: (B, T * K) per step, else (B, K)."""
        if not self.per_step:
            return h[-1] @ p["W"] + p["b"]
        z = h @ p["W"] + p["b"]  # (T, B, K)
        return z.transpose(1, 0, 2).reshape(h.shape[1], -1)

    def backward(self, p: dict, dlogits: np.ndarray, h: np.ndarray, out: dict) -> np.ndarray:
        """dL/dlogits -> dL/dh of shape (T, B, H); the gradients of W and b go into ``out``."""
        dh = np.zeros_like(h)
        if not self.per_step:
            dh[-1] = dlogits @ p["W"].T
            np.matmul(h[-1].T, dlogits, out=out["W"])
            dlogits.sum(axis=0, out=out["b"])
            return dh
        T, B, H = h.shape
        dz = dlogits.reshape(B, T, self.n_out).transpose(1, 0, 2)  # (T, B, K)
        np.matmul(dz, p["W"].T, out=dh)
        np.matmul(h.reshape(-1, H).T, dz.reshape(-1, self.n_out), out=out["W"])
        dz.sum(axis=(0, 1), out=out["b"])
        return dh

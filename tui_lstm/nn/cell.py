"""What every recurrent cell shares: one fused weight matrix and its bookkeeping.

A cell's parameters are ``W`` of shape (D + H, G * H), the input rows stacked over the
recurrent rows, and ``b`` of shape (G * H,), where G is the number of gate blocks. The
input half is applied to all time steps in one matrix product before the recurrence,
and its gradient is likewise one product after it; only the recurrent half runs step
by step.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.activations import ACTIVATIONS


class Cell:
    """Base of the RNN, LSTM and GRU cells. Inputs are time-major: x (T, B, D)."""

    kind: str
    n_blocks: int  # G: gate blocks of H columns in W
    forget_block: int | None = None  # which block a forget bias of 1 goes to
    state_names: tuple[str, ...]  # the (T, B, H) arrays in the cache, for inspection

    def __init__(self, n_in: int, n_hidden: int, activation: str = "tanh"):
        self.n_in = n_in
        self.n_hidden = n_hidden
        self.activation = activation
        self.act = ACTIVATIONS[activation]

    def shapes(self) -> dict[str, tuple[int, ...]]:
        g = self.n_blocks * self.n_hidden
        return {"W": (self.n_in + self.n_hidden, g), "b": (g,)}

    def project_inputs(self, p: dict, x: np.ndarray) -> np.ndarray:
        """x (T, B, D) -> x @ W_x + b, (T, B, G*H)."""
        return x @ p["W"][: self.n_in] + p["b"]

    def recurrent_weights(self, p: dict) -> np.ndarray:
        return p["W"][self.n_in :]  # (H, G*H)

    def weight_grads(self, x: np.ndarray, dz: np.ndarray, dW_h: np.ndarray) -> dict:
        """Gradients of W and b from the pre-activation gradient dz (T, B, G*H)."""
        g = dz.shape[-1]
        dW_x = x.reshape(-1, self.n_in).T @ dz.reshape(-1, g)  # (D, G*H)
        return {"W": np.vstack([dW_x, dW_h]), "b": dz.sum(axis=(0, 1))}

    def zeros(self, x: np.ndarray) -> np.ndarray:
        return np.zeros((x.shape[1], self.n_hidden), dtype=x.dtype)

    def forward(self, p: dict, x: np.ndarray, noise: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        """x (T, B, D) -> hidden states h (T, B, H), and a cache for ``backward``.

        ``noise`` (T, B, H), if given, is added to the state each step carries forward
        (the cell state of an LSTM, h of a GRU, the RNN's pre-activation). Being
        additive, it leaves the backward pass unchanged.
        """
        raise NotImplementedError

    def backward(self, p: dict, dh: np.ndarray, cache: dict) -> dict:
        """dL/dh (T, B, H) for every step's output -> gradients of W and b."""
        raise NotImplementedError


def step_noise(noise: np.ndarray | None, t: int):
    return 0.0 if noise is None else noise[t]


def previous(states: np.ndarray) -> np.ndarray:
    """(T, B, H) states -> the state before each step: zeros, s_0, ..., s_{T-2}."""
    return np.concatenate([np.zeros_like(states[:1]), states[:-1]])

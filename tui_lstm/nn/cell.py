"""What every recurrent cell shares: one fused weight matrix and its bookkeeping.

A cell's parameters are ``W`` of shape (D + H, G * H), the input rows stacked over the
recurrent rows, and ``b`` of shape (G * H,), where G is the number of gate blocks. The
input half is applied to all time steps in one matrix product before the recurrence,
and its gradient is likewise one product after it; only the recurrent half runs step
by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tui_lstm.nn.activations import ACTIVATIONS


@dataclass(frozen=True)
class KerasLayer:
    """The Keras layer that computes the same cell, as plain data (no TensorFlow here).

    A cell says for itself which layer it is in Keras and how the two lay out the
    weights, so that the keras backend and the weight conversion name no cell: a cell
    added to the registry either brings its Keras twin along or is refused by that
    backend (``keras = None``).

    - ``layer``: the class name in ``keras.layers``, e.g. "LSTM".
    - ``options``: the layer's keyword arguments that make it this cell, e.g. the GRU's
      ``reset_after=False`` (the reset gate applied before the recurrent product, as here).
    - ``negated_blocks``: gate blocks whose sense Keras flips, so whose weights and bias
      change sign between the two (1 - sigmoid(a) = sigmoid(-a)); see keras_weights.py.
    """

    layer: str
    options: dict = field(default_factory=dict)
    negated_blocks: tuple[int, ...] = ()


class Cell:
    """Base of every cell. Inputs are time-major: x (T, B, D).

    A subclass is the whole of a cell: its equations and also the facts the rest of
    tui-lstm reads from it (inspection's names, the gradient check's activations, the
    Keras layer), so adding one is a module and a line in ``tui_lstm.nn.cells``.
    """

    kind: str  # its name on the command line, in configs and in run folders
    n_blocks: int  # G: gate blocks of H columns in W
    forget_block: int | None = None  # which block a forget bias of 1 goes to
    gates: dict[str, str]  # cache name -> what it is ("i": "input"), in block order; (T, B, H) each
    states: dict[str, str]  # cache name -> what it is ("h": "hidden"): the states it carries, (T, B, H) each
    gradcheck_activations: tuple[str, ...]  # the activations the gradient check runs it with
    keras: KerasLayer | None  # the same cell in Keras, or None if Keras has none

    def __init__(self, n_in: int, n_hidden: int, activation: str = "tanh"):
        self.n_in = n_in
        self.n_hidden = n_hidden
        self.act = ACTIVATIONS[activation]

    def shapes(self) -> dict[str, tuple[int, ...]]:
        g = self.n_blocks * self.n_hidden
        return {"W": (self.n_in + self.n_hidden, g), "b": (g,)}

    def project_inputs(self, p: dict, x: np.ndarray) -> np.ndarray:
        """x (T, B, D) -> x @ W_x + b, (T, B, G*H)."""
        return x @ p["W"][: self.n_in] + p["b"]

    def recurrent_weights(self, p: dict) -> np.ndarray:
        return p["W"][self.n_in :]  # (H, G*H)

    def weight_grads(self, x: np.ndarray, dz: np.ndarray, out: dict) -> None:
        """Write the gradients of W's input rows and of b, from the pre-activation
        gradient dz (T, B, G*H), into ``out``; the recurrent rows are the cell's own."""
        g = dz.shape[-1]
        np.matmul(x.reshape(-1, self.n_in).T, dz.reshape(-1, g), out=out["W"][: self.n_in])  # (D, G*H)
        dz.sum(axis=(0, 1), out=out["b"])

    def zeros(self, x: np.ndarray) -> np.ndarray:
        return np.zeros((x.shape[1], self.n_hidden), dtype=x.dtype)

    def forward(self, p: dict, x: np.ndarray, noise: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        """x (T, B, D) -> hidden states h (T, B, H), and a cache for ``backward``.

        ``noise`` (T, B, H), if given, is added to the state each step carries forward
        (the cell state of an LSTM, h of a GRU, the RNN's pre-activation). Being
        additive, it leaves the backward pass unchanged.
        """
        raise NotImplementedError

    def backward(self, p: dict, dh: np.ndarray, cache: dict, out: dict, state_grads: dict | None = None) -> None:
        """dL/dh (T, B, H) for every step's output -> the gradients of W and b, written
        into ``out`` (arrays shaped like the parameters).

        ``state_grads``, if given, holds a (T, B, H) array for each of ``states``, into
        which step t's dL/d(state_t) is written, every later step's path included: how far
        back in time the error reaches (``tui_lstm.nn.flow``). Training passes none.

        The state before the first step is zero, so nothing flows back into it and its
        recurrent products are skipped: for the two steps of the numbers layout that is
        half of the recurrent work.
        """
        raise NotImplementedError


def record(state_grads: dict | None, t: int, **grads: np.ndarray) -> None:
    """Keep step t's state gradients, (B, H) each, where ``backward`` was asked for them."""
    if state_grads is not None:
        for name, grad in grads.items():
            state_grads[name][t] = grad


def step_noise(noise: np.ndarray | None, t: int):
    return 0.0 if noise is None else noise[t]


def recurrent(t: int, a: np.ndarray, W: np.ndarray):
    """``a @ W`` for a product with the state before step ``t`` (forward) or into it
    (backward); 0 at the first step, whose state is zero, so the product is skipped."""
    return 0.0 if t == 0 else a @ W


def previous(states: np.ndarray) -> np.ndarray:
    """(T, B, H) states -> the state before each step: zeros, s_0, ..., s_{T-2}."""
    return np.concatenate([np.zeros_like(states[:1]), states[:-1]])


def recurrent_weight_grad(inputs: np.ndarray, dz: np.ndarray, out: np.ndarray) -> None:
    """out = the sum over steps t >= 1 of inputs_t.T @ dz_t, (H, n): the gradient of a
    recurrent weight block. ``inputs`` (T - 1, B, H) are what the block multiplied at
    steps 1 .. T - 1 (at step 0 it multiplied the zero state); ``dz`` (T, B, n)."""
    H, n = inputs.shape[-1], dz.shape[-1]
    out[...] = inputs.reshape(-1, H).T @ dz[1:].reshape(-1, n)

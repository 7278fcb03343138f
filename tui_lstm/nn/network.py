"""A recurrent cell with a dense read-out: the whole NumPy model.

Parameters are named ``cell.W``, ``cell.b``, ``head.W``, ``head.b``: views into one flat
vector, so that an optimizer updates them all in a handful of NumPy calls, while
gradient checks perturb and model files store them by name.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.cell import Cell
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.dense import Dense
from tui_lstm.nn.init import init_params

EVAL_FLOATS = 2**22  # forward-pass cache size per evaluation chunk (16 MB in float32)


def _part(params: dict, prefix: str) -> dict:
    return {name.split(".", 1)[1]: p for name, p in params.items() if name.startswith(prefix)}


class Network:
    def __init__(self, cell: Cell, head: Dense, params: dict, dtype=np.float64):
        self.cell = cell
        self.head = head
        self.dtype = np.dtype(dtype)
        self.flat = np.concatenate([np.asarray(p, dtype=self.dtype).ravel() for p in params.values()])
        self._shapes = {name: np.shape(p) for name, p in params.items()}
        self.params = self._views(self.flat)

    def _views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Each parameter's part of a vector laid out like ``flat``, by name."""
        views, offset = {}, 0
        for name, shape in self._shapes.items():
            size = int(np.prod(shape))
            views[name] = flat[offset : offset + size].reshape(shape)
            offset += size
        return views

    @classmethod
    def build(
        cls,
        cell: str,
        n_in: int,
        n_hidden: int,
        n_out: int,
        per_step: bool,
        *,
        activation: str,
        init: str,
        rng: np.random.Generator,
        dtype=np.float64,
    ) -> Network:
        cell_ = CELLS[cell](n_in, n_hidden, activation)
        head = Dense(n_hidden, n_out, per_step)
        return cls(cell_, head, init_params(init, cell_, head, rng), dtype)

    def shapes(self) -> dict[str, tuple[int, ...]]:
        cell, head = self.cell.shapes(), self.head.shapes()
        return {**{f"cell.{k}": s for k, s in cell.items()}, **{f"head.{k}": s for k, s in head.items()}}

    def forward(self, x: np.ndarray, noise: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        """x (T, B, D) -> logits (B, K_total), and the cache for ``backward``."""
        h, cache = self.cell.forward(_part(self.params, "cell."), x.astype(self.dtype, copy=False), noise)
        return self.head.forward(_part(self.params, "head."), h), cache

    def gradient_buffer(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """A vector laid out like ``flat`` for ``backward`` to write into, and its views by
        name: made once and written every batch, so that an optimizer takes it whole."""
        flat = np.empty_like(self.flat)
        return flat, self._views(flat)

    def backward(
        self, dlogits: np.ndarray, cache: dict, into: dict | None = None, state_grads: dict | None = None
    ) -> dict:
        """The gradients by name, written into ``into`` (views from ``gradient_buffer``;
        a new buffer's if not given); each step's state gradients into ``state_grads``
        if given (see ``Cell.backward``)."""
        grads = self.gradient_buffer()[1] if into is None else into
        dh = self.head.backward(_part(self.params, "head."), dlogits, cache["h"], _part(grads, "head."))
        self.cell.backward(_part(self.params, "cell."), dh, cache, _part(grads, "cell."), state_grads)
        return grads

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Forward only, in chunks of rows: x (T, N, D) -> (N, K_total).

        A forward pass caches about T * (G + 3) * H floats per row; chunks are sized so
        that stays near EVAL_FLOATS, whatever the sequence length and width.
        """
        per_row = x.shape[0] * (self.cell.n_blocks + 3) * self.cell.n_hidden
        rows = max(64, EVAL_FLOATS // per_row)
        return np.concatenate([self.forward(x[:, i : i + rows])[0] for i in range(0, x.shape[1], rows)])

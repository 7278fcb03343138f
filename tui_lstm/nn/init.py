"""Weight initializations: the reproduced programs' own, and a good default.

- ``glorot``: Keras' defaults, the good default: Glorot-uniform input and read-out
  weights, orthogonal recurrent weights, zero biases, an LSTM forget-gate bias of 1.
- ``uniform-1``: every weight uniform in (-1, 1), iamtrask's RNN.
- ``uniform-1e-4``: weights uniform in (-1e-4, 1e-4), biases 0, hanbingtao's LstmLayer.
- ``fan-in``: uniform in +-sqrt(1 / fan-in), the lab report's hand-written LSTM.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.cell import Cell
from tui_lstm.nn.dense import Dense

INITS = ("glorot", "uniform-1", "uniform-1e-4", "fan-in")


def _glorot(rng, n_in, n_out):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out))


def _orthogonal(rng, n_rows, n_cols):
    q, r = np.linalg.qr(rng.standard_normal((max(n_rows, n_cols), min(n_rows, n_cols))))
    q = q * np.sign(np.diag(r))  # a uniform draw over orthogonal matrices
    return q if n_rows >= n_cols else q.T


def _fan_in(rng, fan, shape):
    limit = np.sqrt(1.0 / fan)
    return rng.uniform(-limit, limit, shape)


def init_params(scheme: str, cell: Cell, head: Dense, rng: np.random.Generator) -> dict:
    """Fresh parameters, named ``cell.W``, ``cell.b``, ``head.W``, ``head.b``."""
    D, H = cell.n_in, cell.n_hidden
    (W_rows, G), (K,) = cell.shapes()["W"], head.shapes()["b"]
    b_cell, b_head = np.zeros(G), np.zeros(K)
    if scheme == "glorot":
        W_cell = np.vstack([_glorot(rng, D, G), _orthogonal(rng, H, G)])
        W_head = _glorot(rng, H, K)
        if cell.forget_block is not None:
            b_cell[cell.forget_block * H : (cell.forget_block + 1) * H] = 1.0
    elif scheme in ("uniform-1", "uniform-1e-4"):
        limit = 1.0 if scheme == "uniform-1" else 1e-4
        W_cell = rng.uniform(-limit, limit, (W_rows, G))
        W_head = rng.uniform(-limit, limit, (H, K))
    elif scheme == "fan-in":
        W_cell = np.vstack([_fan_in(rng, D, (D, G)), _fan_in(rng, H, (H, G))])
        b_cell = _fan_in(rng, D, (G,))
        W_head, b_head = _fan_in(rng, H, (H, K)), _fan_in(rng, H, (K,))
    else:
        raise ValueError(f"unknown init {scheme!r}")
    return {"cell.W": W_cell, "cell.b": b_cell, "head.W": W_head, "head.b": b_head}

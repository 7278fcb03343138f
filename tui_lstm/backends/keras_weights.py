"""Keras weights as the NumPy engine's parameters: the one place the two layouts meet.

The keras backend builds ``Input -> cell layer -> Dense``, whose ``get_weights()`` is

    [kernel (D, G*H), recurrent_kernel (H, G*H), bias (G*H,), head kernel (H, K), head bias (K,)]

and the NumPy engine stores ``cell.W`` = kernel stacked over recurrent_kernel, (D + H, G*H).
LSTM (gates i, f, c, o) and SimpleRNN blocks are in the same order in both. The GRU is
Keras' ``GRU(reset_after=False)``, whose update gate z keeps the old state,
``h = z * h_prev + (1 - z) * n``, where hanbingtao's form lets it take the new one,
``h = (1 - z) * h_prev + z * n``: since 1 - sigmoid(a) = sigmoid(-a), negating the z block
of kernel, recurrent kernel and bias turns one into the other. Each cell names such blocks
itself, in its ``keras.negated_blocks``.

No TensorFlow here: these are plain arrays, so the cross-check and the inspection use
the same conversion without a second copy of it.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.dense import Dense
from tui_lstm.nn.network import Network


def _cell_signs(cell: str, n_hidden: int) -> np.ndarray:
    """+1 or -1 per fused column: -1 on the blocks whose sense Keras flips (the GRU's z)."""
    signs = np.ones(CELLS[cell].n_blocks * n_hidden)
    for block in CELLS[cell].keras.negated_blocks:
        signs[block * n_hidden : (block + 1) * n_hidden] = -1.0
    return signs


def numpy_params(cell: str, weights: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Keras ``get_weights()`` of [cell layer, Dense] -> ``cell.W``, ``cell.b``, ``head.W``, ``head.b``."""
    kernel, recurrent, bias, head_kernel, head_bias = weights
    signs = _cell_signs(cell, recurrent.shape[0])
    return {
        "cell.W": np.vstack([kernel, recurrent]) * signs,  # (D + H, G*H)
        "cell.b": bias * signs,
        "head.W": head_kernel,
        "head.b": head_bias,
    }


def numpy_network(cell: str, activation: str, per_step: bool, weights: list[np.ndarray], dtype=np.float64) -> Network:
    """A NumPy ``Network`` computing what the Keras model with these weights computes."""
    kernel, recurrent, head_kernel = weights[0], weights[1], weights[3]
    n_in, n_hidden, n_out = kernel.shape[0], recurrent.shape[0], head_kernel.shape[1]
    return Network(
        CELLS[cell](n_in, n_hidden, activation),
        Dense(n_hidden, n_out, per_step),
        numpy_params(cell, weights),
        dtype,
    )

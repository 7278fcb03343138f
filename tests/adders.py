"""Hand-wired networks that add exactly, one per cell, each keeping the carry in unit 1.

Inspection is checked against them because their insides are known in advance: unit j
of the state is "on" when a_t + b_t + carry_in > j + 3/4, so unit 0 says "at least one",
unit 1 "at least two" (the carry out) and unit 2 "three"; the sum bit is
unit0 - unit1 + unit2. The state of each cell sits at two levels, off and on, and the
next step reads the carry back from unit 1 by rescaling between them (at step 0 a
zero state reads as carry 0 for the RNN and 1/2 for the others, which the 3/4 margins
absorb). Every other gate is held wide open or shut, so the candidate is the state.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.config import preset
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.dense import Dense
from tui_lstm.nn.network import Network

SHARP = 20.0  # pre-activation gain: the smallest margin, 1/4, becomes 5
ON = float(np.tanh(1.0))  # an LSTM's h for c = 1: o * tanh(c)
LEVELS = {"rnn": (0.0, 1.0), "lstm": (-ON, ON), "gru": (-1.0, 1.0), "mgu": (-1.0, 1.0)}  # (off, on) state values
ACTIVATION = {"rnn": "sigmoid", "lstm": "tanh", "gru": "tanh", "mgu": "tanh"}
CANDIDATE = {"rnn": 0, "lstm": 2, "gru": 2, "mgu": 1}  # the block that writes the state
# block -> always on (1) / off (-1)
OPEN_GATES = {"rnn": {}, "lstm": {0: 1, 1: -1, 3: 1}, "gru": {0: 1, 1: 1}, "mgu": {0: 1}}


def wired_config(kind: str):
    return preset("fast", cell=kind, hidden=3, activation=ACTIVATION[kind])


def wired_adder(kind: str) -> Network:
    cell = CELLS[kind](2, 3, ACTIVATION[kind])
    off, on = LEVELS[kind]
    W = np.zeros((2 + 3, cell.n_blocks * 3))  # rows: a, b, then h_prev units 0..2
    b = np.zeros(cell.n_blocks * 3)
    for block, sign in OPEN_GATES[kind].items():
        b[3 * block : 3 * block + 3] = sign * SHARP
    g = slice(3 * CANDIDATE[kind], 3 * CANDIDATE[kind] + 3)
    # a + b + carry - (j + 3/4), with carry = (h1 - off) / (on - off)
    W[0, g] = W[1, g] = SHARP
    W[2 + 1, g] = SHARP / (on - off)
    b[g] = SHARP * (-off / (on - off) - (np.arange(3) + 0.75))
    # sum bit = u0 - u1 + u2, with u = (h - off) / (on - off)
    head_W = SHARP / (on - off) * np.array([[1.0], [-1.0], [1.0]])
    head_b = -SHARP * np.array([off / (on - off) + 0.5])
    params = {"cell.W": W, "cell.b": b, "head.W": head_W, "head.b": head_b}
    return Network(cell, Dense(3, 1, per_step=True), params)

"""The LSTM cell (Hochreiter & Schmidhuber; hanbingtao's eq. 1-6, Keras' layout).

Gate blocks in W, in Keras' order: input i, forget f, candidate g, output o.

    i, f, o = sigmoid(.)       g = act(x_t W_x + h_{t-1} W_h + b)[g block]
    c_t = f * c_{t-1} + i * g
    h_t = o * act(c_t)

``act`` is tanh in the textbook cell and relu in the lab report's Keras model, which
applies it to both the candidate and the cell output.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.activations import sigmoid
from tui_lstm.nn.cell import Cell, previous


class LSTM(Cell):
    kind = "lstm"
    n_blocks = 4
    forget_block = 1
    state_names = ("i", "f", "g", "o", "c", "h")

    def forward(self, p, x):
        T, H = x.shape[0], self.n_hidden
        z = self.project_inputs(p, x)  # (T, B, 4H)
        W_h = self.recurrent_weights(p)
        gates = np.empty_like(z)  # activated i, f, g, o
        c = np.empty(z.shape[:2] + (H,), dtype=z.dtype)  # (T, B, H)
        c_act = np.empty_like(c)  # act(c)
        h = np.empty_like(c)
        h_prev, c_prev = self.zeros(x), self.zeros(x)
        for t in range(T):
            zt = z[t] + h_prev @ W_h  # (B, 4H)
            gates[t, :, : 2 * H] = sigmoid(zt[:, : 2 * H])
            gates[t, :, 2 * H : 3 * H] = self.act.forward(zt[:, 2 * H : 3 * H])
            gates[t, :, 3 * H :] = sigmoid(zt[:, 3 * H :])
            i, f, g, o = np.split(gates[t], 4, axis=1)
            c_prev = c[t] = f * c_prev + i * g
            c_act[t] = self.act.forward(c[t])
            h_prev = h[t] = o * c_act[t]
        i, f, g, o = np.split(gates, 4, axis=2)
        return h, {"x": x, "i": i, "f": f, "g": g, "o": o, "c": c, "c_act": c_act, "h": h}

    def backward(self, p, dh, cache):
        H = self.n_hidden
        i, f, g, o, c, c_act, h = (cache[k] for k in ("i", "f", "g", "o", "c", "c_act", "h"))
        c_before = previous(c)
        W_h = self.recurrent_weights(p)
        dz = np.empty(h.shape[:2] + (4 * H,), dtype=h.dtype)  # (T, B, 4H)
        dh_next = np.zeros_like(h[0])
        dc_next = np.zeros_like(h[0])
        for t in reversed(range(h.shape[0])):
            dh_t = dh[t] + dh_next
            dc = dc_next + dh_t * o[t] * self.act.grad_from_output(c_act[t])
            dz[t, :, :H] = dc * g[t] * i[t] * (1 - i[t])
            dz[t, :, H : 2 * H] = dc * c_before[t] * f[t] * (1 - f[t])
            dz[t, :, 2 * H : 3 * H] = dc * i[t] * self.act.grad_from_output(g[t])
            dz[t, :, 3 * H :] = dh_t * c_act[t] * o[t] * (1 - o[t])
            dc_next = dc * f[t]
            dh_next = dz[t] @ W_h.T
        h_prev = previous(h).reshape(-1, H)
        return self.weight_grads(cache["x"], dz, h_prev.T @ dz.reshape(-1, 4 * H))

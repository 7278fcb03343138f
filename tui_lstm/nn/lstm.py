"""The LSTM cell (Hochreiter & Schmidhuber; hanbingtao's eq. 1-6, Keras' layout).

Gate blocks in W, in Keras' order: input i, forget f, candidate g, output o.

    i, f, o = sigmoid(.)       g = act(x_t W_x + h_{t-1} W_h + b)[g block]
    c_t = f * c_{t-1} + i * g
    h_t = o * act(c_t)

``act`` is tanh in the textbook cell and relu in the lab report's Keras model, which
applies it to both the candidate and the cell output.

At the sizes this task uses, the time goes to the number of NumPy calls, not to
arithmetic: so the backward pass computes every factor that does not depend on the
running gradients for all steps at once, before its loop.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.activations import sigmoid
from tui_lstm.nn.cell import Cell, KerasLayer, record, recurrent, recurrent_weight_grad


class LSTM(Cell):
    kind = "lstm"
    n_blocks = 4
    forget_block = 1
    gates = {"i": "input", "f": "forget", "g": "candidate", "o": "output"}
    states = {"c": "cell", "h": "hidden"}
    gradcheck_activations = ("tanh", "relu")  # relu: the lab report's
    keras = KerasLayer("LSTM")

    def forward(self, p, x, noise=None):
        T, B, H = x.shape[0], x.shape[1], self.n_hidden
        z = self.project_inputs(p, x)  # (T, B, 4H), the pre-activations once the recurrence is added
        W_h = self.recurrent_weights(p)
        gates = np.empty((T, B, 4, H), dtype=z.dtype)  # activated i, f, g, o
        c = np.empty((T, B, H), dtype=z.dtype)
        c_act = np.empty_like(c)  # act(c)
        h = np.empty_like(c)
        for t in range(T):
            if t:  # the state before the first step is zero
                z[t] += h[t - 1] @ W_h
            zt, a = z[t].reshape(B, 4, H), gates[t]
            sigmoid(zt, out=a)  # i, f and o; g's block too, as one call over contiguous memory is
            self.act.forward(zt[:, 2], out=a[:, 2])  # cheaper than three over strided blocks
            np.multiply(a[:, 0], a[:, 2], out=c[t])  # c_t = i * g + f * c_{t-1}
            if t:
                c[t] += a[:, 1] * c[t - 1]
            if noise is not None:
                c[t] += noise[t]
            self.act.forward(c[t], out=c_act[t])
            np.multiply(a[:, 3], c_act[t], out=h[t])
        i, f, g, o = (gates[:, :, k] for k in range(4))
        return h, {"x": x, "gates": gates, "i": i, "f": f, "g": g, "o": o, "c": c, "c_act": c_act, "h": h}

    def backward(self, p, dh, cache, out, state_grads=None):
        T, B, H = dh.shape
        i, f, g, o, c_act, h = (cache[k] for k in ("i", "f", "g", "o", "c_act", "h"))
        W_h_T = self.recurrent_weights(p).T
        through_c = np.empty((T, B, 3, H), dtype=dh.dtype)  # dL/dc_t = dc_t * (these), for i, f and g
        np.multiply(g, i * (1 - i), out=through_c[:, :, 0])
        through_c[0, :, 1] = 0.0  # the cell state before the first step is zero
        np.multiply(cache["c"][:-1], f[1:] * (1 - f[1:]), out=through_c[1:, :, 1])
        np.multiply(i, self.act.grad_from_output(g), out=through_c[:, :, 2])
        c_from_h = o * self.act.grad_from_output(c_act)  # dc_t / dh_t
        o_from_h = c_act * o * (1 - o)  # d(o pre-activation) / dh_t
        dz = np.empty((T, B, 4, H), dtype=dh.dtype)
        dh_next = np.zeros((B, H), dtype=dh.dtype)
        dc_next = np.zeros_like(dh_next)
        for t in reversed(range(T)):
            dh_t = dh[t] + dh_next
            dc = dc_next + dh_t * c_from_h[t]
            record(state_grads, t, h=dh_t, c=dc)
            dz[t, :, :3] = dc[:, None] * through_c[t]
            dz[t, :, 3] = dh_t * o_from_h[t]
            dc_next = dc * f[t]
            dh_next = recurrent(t, dz[t].reshape(B, 4 * H), W_h_T)
        dz = dz.reshape(T, B, 4 * H)
        recurrent_weight_grad(h[:-1], dz, out["W"][self.n_in :])
        self.weight_grads(cache["x"], dz, out)

"""The plain (Elman) recurrent cell, as in iamtrask's bitwise adder.

    h_t = act(x_t W_x + h_{t-1} W_h + b)

Training noise goes inside the activation here, so that the backward pass can still
take act' from the cached outputs.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.cell import Cell, KerasLayer, record, recurrent, recurrent_weight_grad, step_noise


class RNN(Cell):
    kind = "rnn"
    n_blocks = 1
    gates = {}
    states = {"h": "hidden"}
    gradcheck_activations = ("tanh", "sigmoid")  # sigmoid: iamtrask's
    keras = KerasLayer("SimpleRNN")

    def forward(self, p, x, noise=None):
        T = x.shape[0]
        z = self.project_inputs(p, x)  # (T, B, H)
        W_h = self.recurrent_weights(p)
        h = np.empty_like(z)
        h_prev = self.zeros(x)
        for t in range(T):
            h_prev = h[t] = self.act.forward(z[t] + recurrent(t, h_prev, W_h) + step_noise(noise, t))
        return h, {"x": x, "h": h}

    def backward(self, p, dh, cache, out, state_grads=None):
        h = cache["h"]
        W_h_T = self.recurrent_weights(p).T
        dz = np.empty_like(h)  # (T, B, H)
        dh_next = np.zeros_like(h[0])
        for t in reversed(range(h.shape[0])):
            dh_t = dh[t] + dh_next
            record(state_grads, t, h=dh_t)
            dz[t] = dh_t * self.act.grad_from_output(h[t])
            dh_next = recurrent(t, dz[t], W_h_T)
        recurrent_weight_grad(h[:-1], dz, out["W"][self.n_in :])
        self.weight_grads(cache["x"], dz, out)

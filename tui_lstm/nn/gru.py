"""The GRU cell, in hanbingtao's form (his eq. 107-110, Cho et al. 2014), with biases.

Gate blocks in W: update z, reset r, candidate n.

    z = sigmoid(x_t W_xz + h_{t-1} W_hz + b_z)
    r = sigmoid(x_t W_xr + h_{t-1} W_hr + b_r)
    n = act(x_t W_xn + (r * h_{t-1}) W_hn + b_n)
    h_t = (1 - z) * h_{t-1} + z * n

Keras' GRU with ``reset_after=False`` is the same cell with z and 1 - z swapped.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.activations import sigmoid
from tui_lstm.nn.cell import Cell, KerasLayer, previous, record, recurrent, recurrent_weight_grad, step_noise


class GRU(Cell):
    kind = "gru"
    n_blocks = 3
    gates = {"z": "update", "r": "reset", "n": "candidate"}
    states = {"h": "hidden"}
    gradcheck_activations = ("tanh",)
    keras = KerasLayer("GRU", {"reset_after": False}, negated_blocks=(0,))  # Keras' z keeps the old state

    def forward(self, p, x, noise=None):
        T, H = x.shape[0], self.n_hidden
        zx = self.project_inputs(p, x)  # (T, B, 3H)
        W_h = self.recurrent_weights(p)
        z, r, n, h = (np.empty(zx.shape[:2] + (H,), dtype=zx.dtype) for _ in range(4))
        h_prev = self.zeros(x)
        for t in range(T):
            zr = sigmoid(zx[t, :, : 2 * H] + recurrent(t, h_prev, W_h[:, : 2 * H]))  # (B, 2H)
            z[t], r[t] = zr[:, :H], zr[:, H:]
            n[t] = self.act.forward(zx[t, :, 2 * H :] + recurrent(t, r[t] * h_prev, W_h[:, 2 * H :]))
            h_prev = h[t] = (1 - z[t]) * h_prev + z[t] * n[t] + step_noise(noise, t)
        return h, {"x": x, "z": z, "r": r, "n": n, "h": h}

    def backward(self, p, dh, cache, out, state_grads=None):
        H = self.n_hidden
        z, r, n, h = cache["z"], cache["r"], cache["n"], cache["h"]
        h_before = previous(h)
        W_h = self.recurrent_weights(p)
        W_hzr_T, W_hn_T = W_h[:, : 2 * H].T, W_h[:, 2 * H :].T
        dz_all = np.empty(h.shape[:2] + (3 * H,), dtype=h.dtype)  # (T, B, 3H)
        dh_next = np.zeros_like(h[0])
        for t in reversed(range(h.shape[0])):
            dh_t = dh[t] + dh_next
            record(state_grads, t, h=dh_t)
            dn = dh_t * z[t] * self.act.grad_from_output(n[t])
            d_rh = recurrent(t, dn, W_hn_T)  # dL/d(r * h_prev)
            dz_all[t, :, :H] = dh_t * (n[t] - h_before[t]) * z[t] * (1 - z[t])
            dz_all[t, :, H : 2 * H] = d_rh * h_before[t] * r[t] * (1 - r[t])
            dz_all[t, :, 2 * H :] = dn
            dh_next = dh_t * (1 - z[t]) + d_rh * r[t] + recurrent(t, dz_all[t, :, : 2 * H], W_hzr_T)
        W = out["W"][self.n_in :]
        recurrent_weight_grad(h[:-1], dz_all[:, :, : 2 * H], W[:, : 2 * H])
        recurrent_weight_grad(r[1:] * h[:-1], dz_all[:, :, 2 * H :], W[:, 2 * H :])
        self.weight_grads(cache["x"], dz_all, out)

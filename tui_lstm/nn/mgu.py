"""The minimal gated unit (MGU; Zhou, Wu, Zhang & Zhou 2016): a GRU with one gate.

Gate blocks in W: forget f, candidate n.

    f = sigmoid(x_t W_xf + h_{t-1} W_hf + b_f)
    n = act(x_t W_xn + (f * h_{t-1}) W_hn + b_n)
    h_t = (1 - f) * h_{t-1} + f * n

The one gate does the work of both of the GRU's: as its reset gate, it decides how much
of the old state the candidate sees; as its update gate, how much of the candidate
replaces the old state. Two blocks instead of the GRU's three and the LSTM's four: the
smallest gated cell here, to see whether one gate is enough to keep a carry.

f = 1 takes the new value here (it "forgets" the old one), so Keras' forget bias of 1,
which helps an LSTM keep its state, would push this cell to overwrite it: there is no
``forget_block``. Keras has no MGU layer, so the keras backend refuses it.
"""

from __future__ import annotations

import numpy as np

from tui_lstm.nn.activations import sigmoid
from tui_lstm.nn.cell import Cell, previous, record, recurrent, recurrent_weight_grad, step_noise


class MGU(Cell):
    kind = "mgu"
    n_blocks = 2
    gates = {"f": "forget", "n": "candidate"}
    states = {"h": "hidden"}
    gradcheck_activations = ("tanh", "relu")  # relu: act' taken from the output, not tanh's own
    keras = None

    def forward(self, p, x, noise=None):
        T, H = x.shape[0], self.n_hidden
        zx = self.project_inputs(p, x)  # (T, B, 2H)
        W_h = self.recurrent_weights(p)
        W_hf, W_hn = W_h[:, :H], W_h[:, H:]
        f, n, h = (np.empty(zx.shape[:2] + (H,), dtype=zx.dtype) for _ in range(3))
        h_prev = self.zeros(x)
        for t in range(T):
            f[t] = sigmoid(zx[t, :, :H] + recurrent(t, h_prev, W_hf))
            n[t] = self.act.forward(zx[t, :, H:] + recurrent(t, f[t] * h_prev, W_hn))
            h_prev = h[t] = (1 - f[t]) * h_prev + f[t] * n[t] + step_noise(noise, t)
        return h, {"x": x, "f": f, "n": n, "h": h}

    def backward(self, p, dh, cache, out, state_grads=None):
        H = self.n_hidden
        f, n, h = cache["f"], cache["n"], cache["h"]
        h_before = previous(h)
        W_h = self.recurrent_weights(p)
        W_hf_T, W_hn_T = W_h[:, :H].T, W_h[:, H:].T
        # factors that do not depend on the running gradient, for all steps at once; (T, B, H) each
        n_from_h = f * self.act.grad_from_output(n)  # d(n pre-activation) / dh_t
        f_slope = f * (1 - f)
        f_from_h = (n - h_before) * f_slope  # d(f pre-activation) / dh_t, through h_t's mix
        f_from_fh = h_before * f_slope  # d(f pre-activation) / d(f * h_prev), through the candidate
        dz = np.empty(h.shape[:2] + (2 * H,), dtype=h.dtype)  # (T, B, 2H)
        dh_next = np.zeros_like(h[0])
        for t in reversed(range(h.shape[0])):
            dh_t = dh[t] + dh_next
            record(state_grads, t, h=dh_t)
            dn = dz[t, :, H:] = dh_t * n_from_h[t]
            d_fh = recurrent(t, dn, W_hn_T)  # dL/d(f * h_prev)
            df = dz[t, :, :H] = dh_t * f_from_h[t] + d_fh * f_from_fh[t]
            dh_next = dh_t * (1 - f[t]) + d_fh * f[t] + recurrent(t, df, W_hf_T)
        W = out["W"][self.n_in :]
        recurrent_weight_grad(h[:-1], dz[:, :, :H], W[:, :H])
        recurrent_weight_grad(f[1:] * h[:-1], dz[:, :, H:], W[:, H:])
        self.weight_grads(cache["x"], dz, out)

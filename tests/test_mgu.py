"""The minimal gated unit's forward pass against its equations, one step and one unit at a time.

The gradient tests check backward against forward; this checks forward against Zhou et
al.'s equations, written out as plainly as possible: a wrong forward pass (the candidate
reading h_{t-1} instead of f * h_{t-1}, say) would pass the gradient check.
"""

import numpy as np

from tui_lstm.nn.activations import sigmoid
from tui_lstm.nn.mgu import MGU


def test_forward_is_the_equations():
    rng = np.random.default_rng(5)
    T, B, D, H = 5, 3, 2, 4
    cell = MGU(D, H, "tanh")
    p = {"W": rng.normal(size=(D + H, 2 * H)), "b": rng.normal(size=2 * H)}
    x, noise = rng.normal(size=(T, B, D)), rng.normal(0, 0.1, size=(T, B, H))
    W_xf, W_xn = p["W"][:D, :H], p["W"][:D, H:]
    W_hf, W_hn = p["W"][D:, :H], p["W"][D:, H:]
    b_f, b_n = p["b"][:H], p["b"][H:]
    h, cache = cell.forward(p, x, noise)
    for row in range(B):
        h_prev = np.zeros(H)
        for t in range(T):
            f = sigmoid(x[t, row] @ W_xf + h_prev @ W_hf + b_f)
            n = np.tanh(x[t, row] @ W_xn + (f * h_prev) @ W_hn + b_n)
            h_prev = (1 - f) * h_prev + f * n + noise[t, row]
            np.testing.assert_allclose(cache["f"][t, row], f, rtol=1e-12)
            np.testing.assert_allclose(cache["n"][t, row], n, rtol=1e-12)
            np.testing.assert_allclose(h[t, row], h_prev, rtol=1e-12)
    assert cache["h"] is h

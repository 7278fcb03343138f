"""The optimizers take the steps their formulas say, in place, and Adam the steps Keras' does."""

import numpy as np
import pytest

from tui_lstm.nn.optim import SGD, Adam, clip_global_norm


def reference_adam(params, grads_seq, lr=0.01, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """Keras' Adam, written out in float64: the bias correction folded into the step size."""
    params, m, v = params.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(grads_seq, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        params = params - lr_t * m / (np.sqrt(v) + eps)
    return params


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_follows_its_formula_in_place(dtype):
    rng = np.random.default_rng(0)
    params = rng.standard_normal(1000).astype(dtype)
    grads = [rng.standard_normal(1000).astype(dtype) for _ in range(20)]
    expected = reference_adam(params, grads)
    adam, updated = Adam(0.01), params.copy()
    buffer = updated  # the optimizer must write into the array it is given
    for g in grads:
        adam.step(updated, g)
    assert updated is buffer and updated.dtype == dtype and adam.m.dtype == dtype
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(updated, expected, rtol=tolerance, atol=tolerance)


def test_adam_state_continues_the_same_steps():
    rng = np.random.default_rng(1)
    params = rng.standard_normal(50)
    grads = [rng.standard_normal(50) for _ in range(6)]
    whole, first = Adam(0.05), params.copy()
    for g in grads:
        whole.step(first, g)
    half, second = Adam(0.05), params.copy()
    for g in grads[:3]:
        half.step(second, g)
    resumed = Adam(0.05)
    resumed.load_state({name: np.array(value) for name, value in half.state().items()})
    for g in grads[3:]:
        resumed.step(second, g)
    assert np.array_equal(first, second)


def test_sgd_and_clipping():
    params, grads = np.ones(4), np.array([3.0, 4.0, 0.0, 0.0])
    assert clip_global_norm(grads, 1.0) == 5.0 and np.allclose(grads, [0.6, 0.8, 0, 0])
    SGD(0.5).step(params, grads)
    assert np.allclose(params, [0.7, 0.6, 1, 1])

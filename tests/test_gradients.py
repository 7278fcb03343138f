"""Every parameter of every cell, head and loss against centred differences, in float64."""

import numpy as np
import pytest

from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.gradcheck import BOUND, check_gradients, standard_cases
from tui_lstm.nn.losses import make_loss
from tui_lstm.nn.network import Network

CASES = list(standard_cases())


def test_cases_cover_every_cell_head_and_loss():
    labels = " ".join(label for label, *_ in CASES)
    for part in (
        *(f"{kind}(" for kind in CELLS),
        "per-step",
        "last-step",
        "softmax",
        "relu",
        " mse",
        "weighted-mse",
        "bce",
        "sse",
        " ce",
    ):
        assert part in labels


@pytest.mark.parametrize("case", CASES, ids=[label for label, *_ in CASES])
def test_gradient_of_every_parameter(case):
    label, net, loss, x, y = case
    errors = check_gradients(net, loss, x, y)
    assert set(errors) == {"cell.W", "cell.b", "head.W", "head.b"}
    assert max(errors.values()) <= BOUND, errors


def test_check_catches_a_wrong_gradient():
    """The check itself can fail: corrupt one analytic gradient and it must notice."""
    label, net, loss, x, y = CASES[0]
    backward = net.backward

    def broken(dlogits, cache):
        grads = backward(dlogits, cache)
        grads["cell.W"][0, 0] *= 1.01
        return grads

    net.backward = broken
    assert check_gradients(net, loss, x, y)["cell.W"] > 1e-4


@pytest.mark.parametrize("cell", CELLS)
def test_batch_equals_samples_one_by_one(cell):
    """A batch is B independent sequences: its gradient is the mean of theirs."""
    rng = np.random.default_rng(7)
    net = Network.build(cell, 2, 5, 1, True, activation="tanh", init="glorot", rng=rng)
    x = rng.integers(0, 2, (6, 4, 2)).astype(np.float64)
    y = rng.integers(0, 2, (4, 6)).astype(np.float64)
    loss = make_loss("bce")
    logits, cache = net.forward(x)
    batch = net.backward(loss(logits, y)[1], cache)
    for row in range(4):
        logit, c = net.forward(x[:, row : row + 1])
        assert np.allclose(logit, logits[row : row + 1])
        single = net.backward(loss(logit, y[row : row + 1])[1], c)
        for name in batch:
            batch[name] -= single[name] / 4
    assert all(np.abs(g).max() < 1e-12 for g in batch.values())


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_with_state_noise(cell):
    """Training noise on the carried state leaves backward exact (for the same draw)."""
    rng = np.random.default_rng(11)
    net = Network.build(cell, 2, 3, 1, True, activation="tanh", init="glorot", rng=rng)
    x, noise = rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 3))
    y = (rng.random((3, 4)) > 0.5).astype(np.float64)
    forward = net.forward
    net.forward = lambda x, _=None: forward(x, noise)
    assert max(check_gradients(net, make_loss("bce"), x, y).values()) <= BOUND
    assert not np.allclose(forward(x)[0], forward(x, noise)[0])  # the noise did something

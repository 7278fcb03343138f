"""Gradient flow through time (tui_lstm.nn.flow): theory on hand-set weights, finite
differences for every cell, and the probe a run gets each epoch."""

import numpy as np
import pytest

from tui_lstm.nn.activations import ACTIVATIONS
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.dense import Dense
from tui_lstm.nn.flow import (
    PROBE_SUMS,
    PROBE_WIDTH,
    lag_norms,
    last_step_state_grads,
    probe,
    probe_pairs,
)
from tui_lstm.nn.gradcheck import numerical_gradient
from tui_lstm.nn.losses import make_loss
from tui_lstm.nn.network import Network


def hand_set(cell: str, W_cell: np.ndarray, b_cell: np.ndarray, rng, n_in: int = 2) -> Network:
    """A float64 tanh network over bits with the given cell weights and a random read-out."""
    H = W_cell.shape[0] - n_in
    params = {"cell.W": W_cell, "cell.b": b_cell, "head.W": rng.normal(size=(H, 1)), "head.b": np.zeros(1)}
    return Network(CELLS[cell](n_in, H, "tanh"), Dense(H, 1, True), params)


def bits(rng, T: int, B: int) -> tuple[np.ndarray, np.ndarray]:
    """Random bit inputs (T, B, 2) and per-step targets (B, T)."""
    return rng.integers(0, 2, (T, B, 2)).astype(np.float64), rng.integers(0, 2, (B, T)).astype(np.float64)


def per_sum_norms(grads: np.ndarray) -> np.ndarray:
    """(T, B, H) by step -> (T, B) L2 norms by lag."""
    return np.linalg.norm(grads[::-1], axis=2)


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_a_contracting_tanh_rnn_loses_a_factor_gamma_a_step(gamma):
    """dh_{t-1} = (dh_t * tanh'(.)) W_h^T, with |tanh'| <= 1: each step back multiplies the
    norm by at most ||W_h||_2 = gamma. With W_h = gamma times an orthogonal matrix and
    small inputs (tanh' near 1) the bound is nearly reached, so it is no empty check."""
    rng = np.random.default_rng(3)
    T, B, H = 40, 6, 8
    q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    W = np.vstack([rng.normal(0.0, 1e-3, (2, H)), gamma * q])  # small input weights, ||W_h||_2 = gamma
    assert np.isclose(np.linalg.norm(W[2:], 2), gamma)
    net = hand_set("rnn", W, np.zeros(H), rng)
    x, y = bits(rng, T, B)
    grads, _ = last_step_state_grads(net, "mse", x, y)
    norms = per_sum_norms(grads["h"])  # (T, B)
    lags = np.arange(T)[:, None]
    assert np.all(norms <= gamma**lags * norms[0] * (1 + 1e-12)), "the bound holds for every lag and sum"
    assert np.all(norms >= (0.99 * gamma) ** lags * norms[0]), "and is nearly reached"
    mean = lag_norms(grads["h"])
    assert np.all(mean <= gamma ** np.arange(T) * mean[0] * (1 + 1e-12))


@pytest.mark.parametrize(("forget_bias", "forget"), [(40.0, 1.0), (0.0, 0.5)])
def test_an_lstm_passes_the_cell_gradient_back_times_its_forget_gate(forget_bias, forget):
    """With no recurrent weights, the only way back is c_{t-1} = c_t / f: dL/dc_{t-k} =
    f^k dL/dc_t. Forget gates held at 1 (a bias of 40, sigmoid = 1 to float64's
    precision) pass it back undiminished; held at 0.5, halved each step. The hidden state
    gets nothing from the future at all."""
    rng = np.random.default_rng(5)
    T, B, H = 30, 5, 4
    W = np.zeros((2 + H, 4 * H))  # no recurrent weights
    W[:2] = rng.normal(size=(2, 4 * H))
    W[:2, H : 2 * H] = 0.0  # the forget gate reads no input: it is sigmoid(its bias), always
    b = rng.normal(size=4 * H)
    b[H : 2 * H] = forget_bias
    net = hand_set("lstm", W, b, rng)
    x, y = bits(rng, T, B)
    grads, cache = last_step_state_grads(net, "bce", x, y)
    assert np.all(cache["f"] == forget)
    norms = per_sum_norms(grads["c"])  # (T, B)
    assert np.all(norms[0] > 0)
    np.testing.assert_allclose(norms, forget ** np.arange(T)[:, None] * norms[0], rtol=1e-12)
    np.testing.assert_allclose(lag_norms(grads["c"]), forget ** np.arange(T) * lag_norms(grads["c"])[0], rtol=1e-12)
    assert np.all(grads["h"][:-1] == 0.0)


def random_network(cell: str, rng, T: int = 6, B: int = 3, H: int = 3):
    net = Network.build(cell, 2, H, 1, True, activation="tanh", init="glorot", rng=rng)
    for p in net.params.values():  # away from the init's zeros and symmetries
        p += rng.normal(0.0, 0.5, p.shape)
    return net, *bits(rng, T, B)


def per_sum_last_loss(net: Network, x, y, noise=None) -> float:
    """The sum over sums of each one's own loss on the last step."""
    logits = net.forward(x, noise)[0]
    return make_loss("bce")(logits[:, -1:], y[:, -1:])[0] * len(y)


def noise_gradient(cell: str, grads: dict, cache: dict) -> np.ndarray:
    """What dL/d(noise) must be: the engine's forward adds its noise to the state each step
    carries forward, which is an LSTM's cell state and a GRU's and an MGU's h; an RNN's
    goes in before the activation, h = tanh(z + noise), so there it is dL/dh * tanh'."""
    if cell == "lstm":
        return grads["c"]
    if cell == "rnn":
        return grads["h"] * ACTIVATIONS["tanh"].grad_from_output(cache["h"])
    return grads["h"]


@pytest.mark.parametrize("cell", CELLS)
def test_the_carried_state_gradient_at_every_lag_matches_finite_differences(cell):
    """Perturb the state at step t through the forward pass's own additive noise, every
    step, sum and unit, and difference the last step's loss, in float64."""
    net, x, y = random_network(cell, np.random.default_rng(11))
    grads, cache = last_step_state_grads(net, "bce", x, y)
    noise = np.zeros((x.shape[0], x.shape[1], net.cell.n_hidden))
    numeric = numerical_gradient(lambda: per_sum_last_loss(net, x, y, noise), noise, 1e-3)
    analytic = noise_gradient(cell, grads, cache)
    assert np.abs(analytic).min() > 1e-6, "every lag has a gradient to check"
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-11)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_the_hidden_state_gradient_at_every_lag_matches_finite_differences(cell):
    """In an LSTM and an RNN, h_{t-1} reaches the future only through h_{t-1} W_h in step
    t. So a copy of the network whose inputs carry H more channels, weighted by W_h too,
    moves h_{t-1} by whatever those channels carry at step t: a perturbation of the
    hidden state, through inputs alone. (Lag 0, h at the last step, reaches the loss only
    through the read-out, and the carried state's check covers it.)"""
    net, x, y = random_network(cell, np.random.default_rng(12))
    grads, _ = last_step_state_grads(net, "bce", x, y)
    T, B, H = grads["h"].shape
    W = net.params["cell.W"]
    params = {**net.params, "cell.W": np.vstack([W[:2], W[2:], W[2:]])}  # inputs (x, e): x W_x + e W_h
    shifted = Network(CELLS[cell](2 + H, H, "tanh"), net.head, params)
    x_e = np.concatenate([x, np.zeros((T, B, H))], axis=2)
    e = x_e[:, :, 2:]  # a view: at step t it moves h_{t-1}
    numeric = numerical_gradient(lambda: per_sum_last_loss(shifted, x_e, y), e, 1e-3)
    assert np.abs(grads["h"][:-1]).min() > 1e-6
    np.testing.assert_allclose(grads["h"][:-1], numeric[1:], rtol=1e-7, atol=1e-11)


@pytest.mark.parametrize("cell", CELLS)
def test_the_probe_gives_a_norm_for_every_lag_and_a_share_for_every_sigmoid_gate(cell):
    net = Network.build(cell, 2, 8, 1, True, activation="tanh", init="glorot", rng=np.random.default_rng(1))
    flow = probe(net, "bits", "bce")
    assert set(flow.norms) == set(CELLS[cell].states)
    for norms in flow.norms.values():
        assert norms.shape == (PROBE_WIDTH + 1,)  # lags 0 .. 64: a state at every step of the 65
        assert np.all(np.isfinite(norms)) and norms[0] > 0
    sigmoid_gates = {"lstm": {"i", "f", "o"}, "gru": {"z", "r"}, "mgu": {"f"}, "rnn": set()}[cell]
    assert set(flow.saturation) == sigmoid_gates
    assert all(0.0 <= share <= 1.0 for share in flow.saturation.values())


def test_saturation_counts_gates_beyond_0_05_and_0_95():
    """All weights zero: every gate is sigmoid(its bias). A forget bias of 40 saturates
    the forget gate everywhere; input gates at sigmoid(3) = 0.953 are saturated, output
    gates at sigmoid(2.9) = 0.948 are not."""
    rng = np.random.default_rng(0)
    H = 4
    b = np.zeros(4 * H)
    b[:H], b[H : 2 * H], b[3 * H :] = 3.0, 40.0, 2.9
    flow = probe(hand_set("lstm", np.zeros((2 + H, 4 * H)), b, rng), "bits", "bce")
    assert flow.saturation == {"i": 1.0, "f": 1.0, "o": 0.0}


def test_the_probe_batch_is_fixed_and_the_same_for_every_run():
    first, second = probe_pairs(), probe_pairs()
    assert (len(first), first.width) == (PROBE_SUMS, PROBE_WIDTH)
    assert np.array_equal(first.a, second.a) and np.array_equal(first.b, second.b)
    assert len(set(first.a.tolist())) == PROBE_SUMS  # random sums, not one repeated


def test_a_float32_network_is_probed_in_float64():
    """Training's float32 network gives the figures of its float64 copy: the small
    gradients at long lags are not lost to float32's range (nor slowed by its subnormals)."""
    rng = np.random.default_rng(2)
    net = Network.build("lstm", 2, 8, 1, True, activation="tanh", init="uniform-1", rng=rng, dtype=np.float32)
    as_float64 = Network(net.cell, net.head, net.params, np.float64)
    got, want = probe(net, "bits", "sse"), probe(as_float64, "bits", "sse")
    for state in want.norms:
        np.testing.assert_array_equal(got.norms[state], want.norms[state])
    assert got.saturation == want.saturation


@pytest.mark.parametrize("layout", ["numbers", "onehot"])
def test_a_two_step_layout_is_refused_in_one_line(layout):
    net = Network.build("lstm", 9, 4, 9, False, activation="tanh", init="glorot", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="needs the bits layout") as error:
        probe(net, layout, "mse")
    assert "\n" not in str(error.value)

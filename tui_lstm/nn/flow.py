"""How far back in time the error reaches: gradient flow through time, and gate saturation.

Training's backward pass sums the loss over every step, so the gradient that reaches a
state mixes every later bit's error. To see how far one error travels, this module runs
one extra backward pass from the loss at the last step alone (for the ``bits`` layout
the sum's top bit, the final carry, which depends on every bit below it) and asks the
engine's own backward (``Network.backward``'s ``state_grads``) for the gradient with
respect to each state at every earlier step:

    g_k = dL_b / d(state at step T - 1 - k)    for lag k = 0 .. T - 1, each probe sum b

where L_b is sum b's own loss at the last step (not divided by the batch). The norm at
lag k is the mean over probe sums of ||g_k||_2. A plain RNN's norms fall geometrically
(by at most its recurrent weights' spectral norm a step, for tanh); an LSTM whose forget
gates stay open passes the cell state's gradient back undiminished.

The probe batch is fixed (PROBE_SEED, not the run's seed): the same 16 sums of 64 bits
for every run and every epoch, so that epochs, seeds and cells compare like for like.
Training records it after every epoch, so it must cost little beside an epoch (about 5 ms
for ``fast``): one forward and one backward pass over 65 steps, whose time is mostly the
per-step work, not the batch: 2.4 ms for a 16-unit LSTM on one core with 16 sums, 5.7 ms
with 64. More sums do not make the figure steadier: the mean of the norms at a long lag
is set by the few sums whose carries run longest, so 64 sums stray from 1,024 by as many
orders of magnitude as 16 do (up to 2-3 for a trained ``fast`` at lag 32, a few tenths
for a plain RNN), against the 5-20 that the norms fall over 64 steps.

It runs in float64 whatever the network's own type: the gradient of one step's loss can
shrink by tens of orders of magnitude over 64 steps, out of float32's range (below 1e-38
it turns subnormal, which the CPU computes many times slower, then zero); float64 costs
about twice float32's time and never meets either.

Saturation comes from the same forward pass: per sigmoid gate, the share of its
activations below 0.05 or above 0.95 over every unit, step and probe sum. A forget gate
saturating open is the carry being kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_lstm.nn.losses import make_loss
from tui_lstm.nn.network import Network
from tui_lstm.task import LAYOUT, Pairs, random_pairs

PROBE_SEED = 14  # fixed, apart from every run's seed: every run is probed on the same sums
PROBE_SUMS = 16
PROBE_WIDTH = 64
SATURATED = 0.05  # a sigmoid gate below this, or above 1 - this, is saturated


@dataclass(frozen=True, eq=False)
class Flow:
    """One probe of a network.

    - ``norms``: per state ("h", and "c" for an LSTM), (T,) float64: at index k, the mean
      over probe sums of the L2 norm of dL/d(state k steps before the last).
    - ``saturation``: per sigmoid gate ("i", "f", "o" for an LSTM), the share of its
      activations on the probe batch below SATURATED or above 1 - SATURATED.
    """

    norms: dict[str, np.ndarray]
    saturation: dict[str, float]

    def __eq__(self, other: object) -> bool:
        """The same figures (a saved run's, read back, equal the run's own)."""
        if not isinstance(other, Flow):
            return NotImplemented
        same_norms = self.norms.keys() == other.norms.keys() and all(
            np.array_equal(norms, other.norms[name], equal_nan=True) for name, norms in self.norms.items()
        )
        return same_norms and self.saturation == other.saturation

    __hash__ = None  # mutable arrays inside

    def relative(self, state: str) -> np.ndarray:
        """(T,) the norms of ``state`` by lag over the norm at lag 0: how much of the last
        step's error is left k steps back (NaN where nothing reached the last step)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.norms[state] / self.norms[state][0]

    def to_dict(self) -> dict:
        """As plain JSON types: the norms by state and lag, and the saturated shares."""
        return {"norms": {name: norms.tolist() for name, norms in self.norms.items()}, "saturation": self.saturation}


def probe_pairs() -> Pairs:
    """The fixed probe batch: PROBE_SUMS random pairs of PROBE_WIDTH bits, from PROBE_SEED."""
    return random_pairs(np.random.default_rng(PROBE_SEED), PROBE_SUMS, PROBE_WIDTH)


def check_bits_layout(layout: str) -> None:
    """ValueError, in one line, for a layout with no step per bit."""
    if layout != "bits":
        raise ValueError(
            f"the gradient flow view needs the bits layout: a {layout}-layout model reads a and b "
            "in two steps, so there is no step per bit for the error to travel back through"
        )


def last_step_state_grads(
    network: Network, loss_name: str, x: np.ndarray, y: np.ndarray
) -> tuple[dict[str, np.ndarray], dict]:
    """dL_b/d(state_t) for every state of the cell, (T, B, H) each, where L_b is sum b's own
    loss on the last step's output, for a per-step network with one output a step; and
    the forward pass's cache (its gates, for ``saturation``).

    x (T, B, D) inputs, y (B, T) per-step targets (only the last column is used). The
    gradient is that of the batch's mean loss times B: each sum's own, whatever the batch.
    """
    T, B = x.shape[0], x.shape[1]
    loss = make_loss(loss_name, np.zeros(1))  # one output: weighted-mse's weight is 1
    logits, cache = network.forward(x)  # (B, T)
    dlogits = np.zeros_like(logits)
    dlogits[:, -1:] = loss(logits[:, -1:], y[:, -1:].astype(logits.dtype))[1] * B
    states = {name: np.empty((T, B, network.cell.n_hidden), logits.dtype) for name in network.cell.states}
    network.backward(dlogits, cache, state_grads=states)
    return states, cache


def lag_norms(state_grads: np.ndarray) -> np.ndarray:
    """(T, B, H) gradients by step -> (T,) by lag: the mean over B of the L2 norm over H, lag
    k being step T - 1 - k."""
    return np.linalg.norm(state_grads[::-1].astype(np.float64), axis=2).mean(axis=1)


def sigmoid_gates(network: Network) -> list[str]:
    """The cell's sigmoid gates, by cache name: every gate but the candidate, which is the
    cell's activation (tanh or relu) and saturates in another sense."""
    return [name for name, what in network.cell.gates.items() if what != "candidate"]


def saturation(network: Network, cache: dict) -> dict[str, float]:
    """Per sigmoid gate, the share of its (T, B, H) activations in a forward cache that are
    below SATURATED or above 1 - SATURATED."""
    return {
        name: float(np.mean((cache[name] < SATURATED) | (cache[name] > 1 - SATURATED)))
        for name in sigmoid_gates(network)
    }


def probe(network: Network, layout: str, loss_name: str, pairs: Pairs | None = None) -> Flow:
    """The gradient flow and gate saturation of a bits-layout network on ``pairs`` (the
    fixed probe batch if not given); ValueError for another layout. A Keras run is probed
    through its weights converted to the NumPy network (``backend.numpy_network()``)."""
    check_bits_layout(layout)
    bits = LAYOUT[layout]
    pairs = probe_pairs() if pairs is None else pairs
    x, y = bits.inputs(pairs), bits.targets(pairs)  # (T, B, 2), (B, T)
    if network.dtype != np.float64:
        network = Network(network.cell, network.head, network.params, np.float64)
    grads, cache = last_step_state_grads(network, loss_name, x, y)
    hidden_first = sorted(grads, key=lambda name: name != "h")  # h, then an LSTM's c
    return Flow({name: lag_norms(grads[name]) for name in hidden_first}, saturation(network, cache))

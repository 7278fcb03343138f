"""The NumPy engine against Keras as the reference (as micrograd tests against PyTorch).

Each case builds the keras backend's model for a small config, gives it random weights
(biases included, so that no term hides behind a zero), converts them with the one
conversion the backend uses (``keras_weights``), and asks both engines for the outputs
and for every parameter's loss gradient. Both sides run in float64, so the agreement is
far tighter than the bounds asserted.
"""

from __future__ import annotations

import numpy as np
import pytest

from tui_lstm.backends.keras_backend import build_model, import_keras, make_keras_loss
from tui_lstm.backends.keras_weights import numpy_network, numpy_params
from tui_lstm.config import TrainConfig
from tui_lstm.nn.losses import make_loss
from tui_lstm.task import LAYOUT, Dataset, random_pairs

CASES = [
    ("lstm", "tanh", "bits"),
    ("lstm", "relu", "numbers"),  # the lab report's cell
    ("gru", "tanh", "bits"),
    ("gru", "tanh", "numbers"),
    ("rnn", "tanh", "bits"),
    ("rnn", "sigmoid", "numbers"),
]


@pytest.fixture(scope="module")
def keras():
    keras = import_keras()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")  # a policy cached by an earlier model would win over floatx
    yield keras
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")


def reference(keras, config: TrainConfig, data: Dataset, seed: int = 7):
    """A float64 Keras model with random weights; its outputs and loss gradients on ``data``."""
    import tensorflow as tf

    model = build_model(keras, config)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.5, w.shape) for w in model.get_weights()])
    x = tf.constant(data.x.transpose(1, 0, 2))  # (N, T, D)
    y = data.y[..., None] if LAYOUT[config.layout].per_step_output else data.y
    with tf.GradientTape() as tape:
        outputs = model(x)
        loss = tf.reduce_mean(make_keras_loss(keras, config)(tf.constant(y), outputs))
    grads = tape.gradient(loss, model.trainable_variables)
    return model, outputs.numpy().reshape(len(data), -1), float(loss), [g.numpy() for g in grads]


@pytest.mark.parametrize("cell, activation, layout", CASES)
def test_numpy_matches_keras(keras, cell, activation, layout):
    config = TrainConfig(backend="keras", cell=cell, activation=activation, layout=layout, bits=3, hidden=5, loss="mse")
    data = Dataset.of(LAYOUT[layout], random_pairs(np.random.default_rng(0), 6, config.bits))
    model, keras_outputs, keras_loss, keras_grads = reference(keras, config, data)
    net = numpy_network(cell, activation, LAYOUT[layout].per_step_output, model.get_weights())
    logits, cache = net.forward(data.x)
    loss, dlogits = make_loss("mse")(logits, data.y)
    grads = net.backward(dlogits, cache)

    np.testing.assert_allclose(make_loss("mse").probabilities(logits), keras_outputs, atol=1e-5, rtol=0)
    assert loss == pytest.approx(keras_loss, rel=1e-9)
    # the conversion is linear in the weights (a reorder and sign flips), so it maps
    # Keras' gradients onto the NumPy parameters as it maps the weights
    expected = numpy_params(cell, keras_grads)
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, expected[name], rtol=1e-7, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("loss", ["bce", "weighted-mse"])
def test_losses_agree(keras, loss):
    """Keras' bce and the backend's weighted MSE compute the NumPy engine's losses."""
    config = TrainConfig(backend="keras", layout="numbers", bits=4, hidden=3, loss=loss)
    rng = np.random.default_rng(3)
    logits = rng.normal(0.0, 2.0, (7, 5))
    y = rng.integers(0, 2, (7, 5)).astype(np.float64)
    numpy_loss = make_loss(loss, LAYOUT["numbers"].bit_exponents(config.bits))
    keras_loss = np.mean(make_keras_loss(keras, config)(y, numpy_loss.probabilities(logits)))
    assert float(keras_loss) == pytest.approx(numpy_loss(logits, y)[0], rel=1e-6)


def test_adam_takes_the_steps_keras_takes(keras):
    from tui_lstm.nn.optim import Adam

    rng = np.random.default_rng(5)
    params = rng.standard_normal(40)
    grads = [rng.standard_normal(40) for _ in range(8)]
    variable = keras.Variable(params.copy())
    theirs = keras.optimizers.Adam(learning_rate=0.02)
    ours, updated = Adam(0.02), params.copy()
    for g in grads:
        theirs.apply_gradients([(keras.ops.convert_to_tensor(g), variable)])
        ours.step(updated, g)
    # Keras takes 1 - beta_2**t with beta_2 as a float32 (0.99900001): 6e-6 of the step size
    np.testing.assert_allclose(updated, keras.ops.convert_to_numpy(variable), rtol=5e-5, atol=1e-9)

"""Presets carry the reproduced programs' hyperparameters; every field is checked against its range."""

import pytest

from tui_lstm.config import PRESETS, ConfigError, TrainConfig, parse_value, preset


def test_every_preset_is_valid():
    for name in PRESETS:
        assert preset(name).preset == name


def test_seed_presets_keep_the_seeds_hyperparameters():
    trask = preset("iamtrask-rnn")
    assert (trask.cell, trask.activation, trask.hidden, trask.init, trask.optimizer, trask.lr, trask.batch_size) == (
        "rnn",
        "sigmoid",
        16,
        "uniform-1",
        "sgd",
        0.1,
        1,
    )
    assert trask.samples * trask.epochs == 10_000  # the post's 10,000 iterations
    report = preset("report")
    assert (
        report.layout,
        report.bits,
        report.hidden,
        report.activation,
        report.loss,
        report.lr,
        report.batch_size,
        report.samples,
        report.test_samples,
        report.epochs,
        report.shuffle,
    ) == ("numbers", 7, 256, "relu", "mse", 0.001, 128, 10000, 100, 100, False)
    lstm0 = preset("report-numpy")
    assert (
        lstm0.layout,
        lstm0.bits,
        lstm0.hidden,
        lstm0.lr,
        lstm0.loss,
        lstm0.samples,
        lstm0.epochs,
        lstm0.halve_lr_on_rise,
    ) == ("onehot", 6, 100, 0.005, "ce", 1000, 5, True)
    assert preset("hanbingtao-lstm").init == "uniform-1e-4"
    assert preset("gru").cell == "gru"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"bits": 0}, "bits"),
        ({"bits": 65}, "bits"),
        ({"hidden": 0}, "hidden"),
        ({"lr": 0.0}, "lr"),
        ({"cell": "transformer"}, "cell"),
        ({"layout": "onehot"}, "loss"),  # onehot needs ce
        ({"layout": "onehot", "loss": "ce", "bits": 11}, "bits"),
        ({"loss": "ce"}, "loss"),  # ce needs onehot
        ({"batch_size": 0}, "batch_size"),
        ({"state_noise": 0.5, "noise_max": 0.4}, "noise_max"),  # a ceiling below the start
    ],
)
def test_bad_values_name_their_field(changes, field):
    with pytest.raises(ConfigError) as caught:
        preset("fast", **changes)
    assert caught.value.name == field
    assert "\n" not in str(caught.value)


def test_unknown_preset_is_refused():
    with pytest.raises(ConfigError, match="unknown preset"):
        preset("nope")


def test_parse_value_reads_and_checks_text():
    assert parse_value("lr", " 0.5 ") == 0.5
    assert parse_value("shuffle", "off") is False
    for name, text in [("lr", "fast"), ("lr", "nan"), ("bits", "7.5"), ("bits", "99"), ("cell", "cnn")]:
        with pytest.raises(ConfigError):
            parse_value(name, text)


def test_from_dict_refuses_wrong_types_and_unknown_keys():
    good = preset("fast")
    assert TrainConfig.from_dict(dict(good.__dict__)) == good
    for bad in ({"bits": "7"}, {"shuffle": 1}, {"bits": True}, {"colour": "red"}):
        with pytest.raises(ConfigError):
            TrainConfig.from_dict({**good.__dict__, **bad})


def test_the_state_noise_rises_by_epoch_up_to_its_ceiling():
    fast = preset("fast")
    assert [round(fast.state_noise_at(epoch), 6) for epoch in (1, 2, 12, 36, 37, 80)] == [
        0.3,
        0.32,
        0.52,
        1.0,
        1.0,
        1.0,
    ]
    assert preset("fast", epochs=12).state_noise_at(12) == fast.state_noise_at(12)  # epochs, not parts of the run
    assert preset("fast", noise_rise=0.0).state_noise_at(80) == 0.3


def test_the_learning_rate_falls_from_its_epoch_to_a_hundredth_in_the_last():
    config = preset("fast", epochs=10, lr_anneal_from=7)
    assert [config.lr_factor(epoch) for epoch in range(1, 7)] == [1.0] * 6
    assert [round(config.lr_factor(epoch), 6) for epoch in (7, 8, 9, 10)] == [0.7525, 0.505, 0.2575, 0.01]
    assert {preset("fast", epochs=10, lr_anneal_from=0).lr_factor(epoch) for epoch in range(1, 11)} == {1.0}
    short = preset("fast", epochs=12)  # a run that ends before fast's fall begins learns at the full rate
    assert {short.lr_factor(epoch) for epoch in range(1, 13)} == {1.0}
    assert preset("fast").lr_factor(60) == 1.0 and preset("fast").lr_factor(100) == pytest.approx(0.01)

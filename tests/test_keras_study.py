"""`tui-lstm study samples`: the report's sample-size study, on either backend."""

from __future__ import annotations

import json

import pytest

from tui_lstm.cli import main
from tui_lstm.config import preset
from tui_lstm.study import sample_size_study

TINY_FLAGS = ["--hidden", "8", "--test-samples", "20", "--epochs", "1", "--batch-size", "16"]


def test_one_row_per_size_with_the_mean_of_its_seeds():
    config = preset("report", hidden=8, epochs=1, test_samples=20)
    seen = []
    rows = sample_size_study(config, (20, 40), seeds=2, on_run=lambda n, seed, summary: seen.append((n, seed)))
    assert seen == [(20, 0), (20, 1), (40, 0), (40, 1)]
    assert [(row.samples, row.seeds) for row in rows] == [(20, (0, 1)), (40, (0, 1))]
    for row in rows:
        assert row.eval_exact_accuracy == pytest.approx(sum(r.eval_exact_accuracy for r in row.runs) / 2)
        assert 0 <= row.test_exact_accuracy <= 1 and row.train_seconds > 0


@pytest.mark.parametrize("backend_preset", ["report", "report-keras"])
def test_cli_json(capsys, backend_preset):
    args = ["study", "samples", "--preset", backend_preset, *TINY_FLAGS, "--sizes", "16,32", "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["format"] == 1 and result["config"]["backend"] == preset(backend_preset).backend
    assert [row["samples"] for row in result["rows"]] == [16, 32]
    assert set(result["rows"][0]) == {
        "samples",
        "test_exact_accuracy",
        "eval_exact_accuracy",
        "train_seconds",
        "runs",
    }
    assert captured.err.count("\n") == 2  # a progress line per run


@pytest.mark.parametrize(
    "args",
    [
        ["--sizes", "10,x"],
        ["--sizes", "0"],
        ["--seeds", "0"],
        ["--seed", "4294967295", "--seeds", "2"],  # the second seed is out of range: refused before any run
        ["--backend", "keras", "--init", "fan-in"],
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, args):
    try:
        status = main(["study", "samples", *TINY_FLAGS, "--sizes", "8", *args])
    except SystemExit as exit:  # refused by argparse
        status = exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err

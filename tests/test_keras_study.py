"""`tui-lstm study samples`: the report's sample-size study, on either backend."""

from __future__ import annotations

import json

import pytest

from tui_lstm.cli import main
from tui_lstm.config import preset
from tui_lstm.runs import FORMAT
from tui_lstm.study import sample_size_rows
from tui_lstm.sweep.command import execute, plan_from

TINY_FLAGS = ["--hidden", "8", "--test-samples", "20", "--epochs", "1", "--batch-size", "16"]


def test_one_row_per_size_with_the_mean_of_its_seeds(tmp_path):
    plan = plan_from("report", {"hidden": 8, "epochs": 1, "test_samples": 20}, ["samples=20,40"], "2", False)
    folder, results, status = execute(plan, tmp_path / "study", workers=2)
    assert status == 0 and sorted(row.name for row in results) == [
        f"samples-{n}_seed-{seed}" for n in (20, 40) for seed in (0, 1)
    ]
    rows = sample_size_rows(plan, results)
    assert [(row.samples, row.seeds) for row in rows] == [(20, (0, 1)), (40, (0, 1))]
    for row in rows:
        assert row.eval_exact_accuracy == pytest.approx(sum(r.eval_exact_accuracy for r in row.runs) / 2)
        assert row.test_exact_accuracy == pytest.approx(sum(r.test_exact_accuracy for r in row.runs) / 2)
        assert 0 <= row.test_exact_accuracy <= 1 and row.train_seconds > 0


@pytest.mark.parametrize("backend_preset", ["report", "report-keras"])
def test_cli_json(tmp_path, monkeypatch, capsys, backend_preset):
    monkeypatch.chdir(tmp_path)
    args = ["study", "samples", "--preset", backend_preset, *TINY_FLAGS, "--sizes", "16,32", "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["format"] == FORMAT and result["config"]["backend"] == preset(backend_preset).backend
    assert [row["samples"] for row in result["rows"]] == [16, 32]
    assert set(result["rows"][0]) == {
        "samples",
        "test_exact_accuracy",
        "eval_exact_accuracy",
        "train_seconds",
        "runs",
    }
    assert captured.err.count("\n") == 2  # a progress line per run
    runs = tmp_path / result["sweep"]  # the runs are kept, in a sweep folder under the runs folder
    assert runs.parent == tmp_path / "runs" and len([path for path in runs.iterdir() if path.is_dir()]) == 2


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
def test_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(tmp_path)
    try:
        status = main(["study", "samples", *TINY_FLAGS, "--sizes", "8", *args])
    except SystemExit as exit:  # refused by argparse
        status = exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err
    assert list(tmp_path.iterdir()) == []

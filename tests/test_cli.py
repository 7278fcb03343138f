"""The headless command: what it writes, and how it refuses bad input (one line, exit 2)."""

import json
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from tui_lstm.cli import main
from tui_lstm.nn.cells import CELLS

QUICK = ["--epochs", "2", "--samples", "200"]


def run(*argv):
    """The installed command, as a user (or a script) meets it."""
    return subprocess.run([sys.executable, "-m", "tui_lstm.cli", *argv], capture_output=True, text=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "fast"
    assert main(["train", "--headless", "--out", str(out), "--epochs", "12"]) == 0
    return out


def test_train_writes_a_run_folder(trained):
    assert sorted(p.name for p in trained.iterdir()) == [
        "config.json",
        "gradients.csv",
        "history.csv",
        "model.npz",
        "results.txt",
        "summary.json",
        "training_state.npz",
    ]
    header, *rows = (trained / "history.csv").read_text().splitlines()
    assert (
        header == "epoch,loss,accuracy,val_loss,val_accuracy,exact_accuracy,val_exact_accuracy,lr,eval_exact_accuracy"
    )
    assert len(rows) == 12 and all(row.split(",")[-1] for row in rows)  # fast scores every pair every epoch
    results = (trained / "results.txt").read_text().splitlines()
    assert len(results) == 100
    index, rest = results[0].split(" : ")
    assert index == "num0"
    total, answer = rest.split(", ")
    a, b = (int(v) for v in total.split(" = ")[0].split(" + "))
    assert total == f"{a} + {b} = {a + b}" and answer.startswith(f"lstm({a},{b}) = ")
    with np.load(trained / "model.npz", allow_pickle=False) as model:
        assert sorted(model.files) == ["cell.W", "cell.b", "head.W", "head.b"]


def test_json_summary(tmp_path, capsys):
    """train --json prints summary.json's figures, and what names the run; eval scores the
    saved model again to the same figures."""
    out = tmp_path / "r"
    assert main(["train", "--headless", "--json", "--out", str(out), "--seed", "3", *QUICK]) == 0
    report = json.loads(capsys.readouterr().out)
    summary = json.loads((out / "summary.json").read_text())
    assert set(report) == set(summary) | {"preset", "seed", "run_dir", "config"}
    assert {key: report[key] for key in summary} == summary
    assert report["format"] == 3 and {"format": 3, **report["config"]} == json.loads((out / "config.json").read_text())
    assert report["seed"] == 3 and report["epochs_run"] == 2 and report["run_dir"] == str(out)
    assert set(report["generalization"]) == {"16", "32", "64"}
    assert main(["eval", str(out), "--json"]) == 0  # the saved model, scored again
    scores = json.loads(capsys.readouterr().out)
    assert scores["format"] == 3 and scores["all_pairs"] is True and scores["pairs"] == report["eval_pairs"]
    assert (report["eval_exact_accuracy"], report["eval_bit_accuracy"]) == (
        scores["exact_accuracy"],
        scores["bit_accuracy"],
    )
    assert report["eval_exact_accuracy"] < report["eval_bit_accuracy"] < 1  # two epochs: not yet right


def test_plain_progress_lines_when_not_a_terminal(tmp_path):
    result = run("train", "--headless", "--out", str(tmp_path / "r"), *QUICK)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("epoch 1/2  loss ") and lines[1].startswith("epoch 2/2  loss ")
    assert "\x1b" not in result.stdout  # no terminal control codes in a log


def test_until_exact_stops_when_every_pair_is_right(tmp_path, capsys):
    assert main(["train", "--headless", "--json", "--until-exact", "--out", str(tmp_path / "r")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["eval_exact_accuracy"] == 1.0 and report["epochs_run"] < 40


def test_eval_and_predict(trained, capsys):
    assert main(["eval", str(trained), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["bits"] == 7 and report["pairs"] == 16_384 and 0.99 <= report["exact_accuracy"] <= 1
    assert main(["eval", str(trained), "--bits", "64", "--samples", "500", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pairs"] == 500
    assert main(["predict", str(trained), "93", "116"]) == 0
    assert capsys.readouterr().out.strip() == "93 + 116 = 209, lstm(93,116) = 209"
    big = 2**64 - 1
    assert main(["predict", str(trained), str(big), str(big)]) == 0
    assert capsys.readouterr().out.startswith(f"{big} + {big} = {2 * big}, lstm(")


def test_same_seed_byte_identical_history(tmp_path):
    for name in "ab":
        assert main(["train", "--headless", "--out", str(tmp_path / name), "--seed", "9", *QUICK]) == 0
    assert (tmp_path / "a" / "history.csv").read_bytes() == (tmp_path / "b" / "history.csv").read_bytes()


@pytest.mark.parametrize("kind", CELLS)
def test_gradcheck_command_passes(kind):
    result = run("gradcheck", "--cell", kind)
    assert result.returncode == 0
    assert "pass" in result.stdout.splitlines()[-1] and f"{kind}(tanh)" in result.stdout


@pytest.mark.parametrize("kind", CELLS)
def test_every_cell_trains_headless(tmp_path, capsys, kind):
    out = tmp_path / kind
    assert main(["train", "--headless", "--json", "--cell", kind, "--out", str(out), *QUICK]) == 0
    assert json.loads(capsys.readouterr().out)["epochs_run"] == 2
    assert json.loads((out / "config.json").read_text())["cell"] == kind
    assert (out / "results.txt").read_text().split(", ", 1)[1].startswith(f"{kind}(")
    with np.load(out / "model.npz") as model:
        assert model["cell.W"].shape == (2 + 16, CELLS[kind].n_blocks * 16)  # inputs a and b, then h; a block a gate


def one_line_refusal(result):
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    return result.stderr


@pytest.mark.parametrize(
    "argv, says",
    [
        (["train", "--headless", "--bits", "0"], "bits must be between 1 and 64"),
        (["train", "--headless", "--lr", "fast"], "not a valid float"),
        (["train", "--headless", "--cell", "cnn"], "cell must be one of"),
        (
            ["train", "--headless", "--backend", "keras", "--cell", "mgu"],
            "cell mgu has no Keras layer; the keras backend takes rnn, lstm, gru",
        ),
        (["train", "--headless", "--preset", "nope"], "unknown preset"),
        (["train", "--headless", "--layout", "onehot"], "needs loss ce"),
        (["train", "--headless", "--epochs", "-1"], "epochs must be between"),
        (["--hidden", "0"], "hidden must be between"),
    ],
)
def test_bad_flags(argv, says):
    assert says in one_line_refusal(run(*argv))


@pytest.mark.parametrize("command", [["train", "--headless"], ["gradcheck"]])
def test_every_registered_cell_is_a_cell_choice(command):
    refusal = one_line_refusal(run(*command, "--cell", "cnn"))
    assert all(kind in refusal for kind in CELLS) and "mgu" in refusal


def test_existing_run_folder_is_never_overwritten(trained):
    before = {p.name: p.read_bytes() for p in trained.iterdir()}
    assert "already exists" in one_line_refusal(run("train", "--headless", "--out", str(trained), *QUICK))
    assert {p.name: p.read_bytes() for p in trained.iterdir()} == before


def copy_run(source, target):
    target.mkdir()
    for p in source.iterdir():
        (target / p.name).write_bytes(p.read_bytes())
    return target


def test_bad_model_files_are_refused(trained, tmp_path):
    model = trained / "model.npz"
    truncated = copy_run(trained, tmp_path / "truncated")
    (truncated / "model.npz").write_bytes(model.read_bytes()[:200])
    assert "truncated" in one_line_refusal(run("eval", str(truncated)))

    missing = copy_run(trained, tmp_path / "missing")
    (missing / "model.npz").unlink()
    assert "no such model file" in one_line_refusal(run("predict", str(missing), "1", "2"))

    mismatched = copy_run(trained, tmp_path / "mismatched")
    config = json.loads((mismatched / "config.json").read_text())
    (mismatched / "config.json").write_text(json.dumps({**config, "hidden": 9}))
    assert "the config needs" in one_line_refusal(run("eval", str(mismatched)))

    pickled = copy_run(trained, tmp_path / "pickled")
    with zipfile.ZipFile(pickled / "model.npz", "w") as archive, np.load(model) as good:
        for name in good.files:
            array = np.empty(good[name].shape, dtype=object) if name == "cell.W" else good[name]
            with archive.open(name + ".npy", "w") as f:
                np.lib.format.write_array(f, array, allow_pickle=True)
    assert "refused" in one_line_refusal(run("eval", str(pickled)))

    assert "not a run folder" in one_line_refusal(run("eval", str(tmp_path)))


def test_a_model_whose_zip_directory_points_before_the_file_is_refused(trained, tmp_path):
    """Found by the random damage of test_run_folders: a central directory said to start
    past where it is makes zipfile seek before the file's start, a ValueError of its own."""
    shifted = copy_run(trained, tmp_path / "shifted")
    data = bytearray((shifted / "model.npz").read_bytes())
    end = data.rfind(b"PK\x05\x06")  # the end of central directory record
    offset = struct.unpack_from("<I", data, end + 16)[0]
    struct.pack_into("<I", data, end + 16, offset + 100)
    (shifted / "model.npz").write_bytes(bytes(data))
    assert "unreadable or truncated" in one_line_refusal(run("eval", str(shifted)))


@pytest.mark.parametrize(
    "argv, says",
    [
        (["predict", "{run}", "-1", "2"], "non-negative"),
        (["predict", "{run}", "1", "two"], "'two' is not a whole number"),
        (["predict", "{run}", "9" * 4300, "1"], "at most 4,299 are taken"),
        (["eval", "{run}", "--bits", "0"], "--bits must be at least 1, not 0"),
        (["eval", "{run}", "--bits", "-3"], "--bits must be at least 1, not -3"),
        (["eval", "{run}", "--bits", "1000000"], "scoring one 1,000,000-bit pair takes about 760.0 MB"),
        (["eval", "{run}", "--bits", "64", "--up-to", "32"], "--up-to 32 is below the width it starts from, 64"),
        (["eval", "{run}", "--samples", "0"], "between 1 and"),
    ],
)
def test_bad_eval_and_predict_input(trained, argv, says):
    assert says in one_line_refusal(run(*(a.format(run=trained) for a in argv)))


def test_diverged_run_exits_1_and_saves_the_last_good_model(tmp_path):
    out = tmp_path / "boom"
    result = run(
        "train",
        "--headless",
        "--out",
        str(out),
        "--cell",
        "rnn",
        "--activation",
        "relu",
        "--init",
        "uniform-1",
        "--optimizer",
        "sgd",
        "--lr",
        "1",
        "--hidden",
        "64",
        "--samples",
        "64",
        "--batch-size",
        "32",
        "--epochs",
        "3",
        "--state-noise",
        "0",
        "--no-resample",
    )
    assert result.returncode == 1
    assert "diverged" in result.stdout and "Traceback" not in result.stderr
    with np.load(out / "model.npz") as model:
        assert all(np.isfinite(model[name]).all() for name in model.files)

"""The gradient flow recorded with a run (gradients.csv), the gradients command, and eval's
accuracy by carry-chain length."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from tui_lstm.cli import main
from tui_lstm.config import preset
from tui_lstm.nn.flow import PROBE_SUMS, PROBE_WIDTH
from tui_lstm.runs import GRADIENTS, RunError, load_run, save_run
from tui_lstm.session import Session

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "runs").iterdir())
SHORT = dict(epochs=4, samples=128)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A short fast run, saved."""
    return save_run(tmp_path_factory.mktemp("runs") / "short", Session().train(preset("fast", **SHORT)))


def test_a_bits_run_records_the_flow_every_epoch_and_reloads_it(saved):
    header, *rows = (saved / GRADIENTS).read_text().splitlines()
    lags = range(PROBE_WIDTH + 1)
    assert header.split(",") == [
        "epoch",
        *(f"h{k}" for k in lags),
        *(f"c{k}" for k in lags),
        "i_saturated",
        "f_saturated",
        "o_saturated",
    ]
    assert [row.split(",")[0] for row in rows] == ["1", "2", "3", "4"]
    flow = load_run(saved).record.flow
    assert [row.epoch for row in flow] == [1, 2, 3, 4]
    assert all(row.flow.norms["h"].shape == (PROBE_WIDTH + 1,) for row in flow)
    assert all(0 <= share <= 1 for row in flow for share in row.flow.saturation.values())
    assert len({row.flow.norms["c"][32] for row in flow}) == 4  # the weights moved, and the flow with them


def test_saved_again_the_file_is_the_same_bytes(saved, tmp_path):
    again = save_run(tmp_path / "again", load_run(saved).record)
    assert (again / GRADIENTS).read_bytes() == (saved / GRADIENTS).read_bytes()


def test_the_same_seed_records_the_same_file(saved, tmp_path):
    other = save_run(tmp_path / "other", Session().train(preset("fast", **SHORT)))
    assert (other / GRADIENTS).read_bytes() == (saved / GRADIENTS).read_bytes()
    seed = save_run(tmp_path / "seed", Session().train(preset("fast", **SHORT, seed=1)))
    assert (seed / GRADIENTS).read_bytes() != (saved / GRADIENTS).read_bytes()


def test_from_continues_the_file_byte_for_byte(tmp_path, capsys):
    tiny = ["--preset", "fast", "--samples", "128", "--seed", "3", "--lr-anneal-from", "0"]  # the same rate either way
    assert main(["train", "--headless", *tiny, "--epochs", "5", "--out", str(tmp_path / "whole")]) == 0
    assert main(["train", "--headless", *tiny, "--epochs", "2", "--out", str(tmp_path / "half")]) == 0
    assert (tmp_path / "half" / GRADIENTS).read_text().count("\n") == 3
    assert main(["train", "--headless", "--from", str(tmp_path / "half"), "--epochs", "5"]) == 0
    assert (tmp_path / "half" / GRADIENTS).read_bytes() == (tmp_path / "whole" / GRADIENTS).read_bytes()


def test_a_checkpoint_holds_the_flow_of_its_epochs():
    taken = []
    Session(checkpoint=taken.append).train(preset("fast", epochs=5, samples=64, checkpoint_every=2))
    assert [[row.epoch for row in record.flow] for record in taken] == [[1, 2], [1, 2, 3, 4]]


def test_a_two_step_layout_records_nothing(tmp_path):
    record = Session().train(preset("report", epochs=1, samples=64, hidden=8))
    assert record.flow == ()
    assert not (save_run(tmp_path / "numbers", record) / GRADIENTS).exists()


@pytest.mark.parametrize("folder", FIXTURES, ids=lambda path: path.name)
def test_older_folders_load_without_the_file(folder):
    assert not (folder / GRADIENTS).exists()
    assert load_run(folder).record.flow == ()


def test_an_older_run_continued_records_its_new_epochs(tmp_path):
    session = Session()
    session.adopt(load_run(FIXTURES[-1]))
    record = session.train(session.trainer.config.replace(epochs=14))
    assert [row.epoch for row in record.flow] == [13, 14]
    assert load_run(save_run(tmp_path / "on", record)).record.flow == record.flow


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text.replace("h1,", "h2,", 1), "found 'h2' where 'h1' belongs"),
        (lambda text: text.replace("epoch,", "epoc,", 1), "found 'epoc' where 'epoch' belongs"),
        (lambda text: text.replace("\n2,", "\n2,x", 1), "line 3 is not numbers"),
        (lambda text: text.rstrip("\n") + ",1\n", "line 5 has"),
    ],
)
def test_a_damaged_file_is_refused_in_one_line(saved, tmp_path, damage, message):
    copy = save_run(tmp_path / "copy", load_run(saved).record)
    (copy / GRADIENTS).write_text(damage((copy / GRADIENTS).read_text()))
    with pytest.raises(RunError, match=message) as error:
        load_run(copy)
    assert "\n" not in str(error.value) and str(copy / GRADIENTS) in str(error.value)


def _short_flow_file(text: str) -> str:
    """gradients.csv cut to two lags a state: well-formed, but not what the probe writes."""
    rows = [row.split(",") for row in text.splitlines()]
    lags = PROBE_WIDTH + 1
    keep = [0, 1, 2, 1 + lags, 2 + lags, 1 + 2 * lags]  # epoch, h0, h1, c0, c1, i_saturated
    return "".join(",".join(row[k] for k in keep) + "\n" for row in rows)


@pytest.mark.parametrize(
    "damage",
    [_short_flow_file, lambda text: "".join(line.rsplit(",", 1)[0] + "\n" for line in text.splitlines())],
    ids=["two lags", "no o gate"],
)
def test_a_well_formed_file_with_other_columns_is_refused(saved, tmp_path, damage):
    copy = save_run(tmp_path / "copy", load_run(saved).record)
    (copy / GRADIENTS).write_text(damage((copy / GRADIENTS).read_text()))
    with pytest.raises(RunError, match="expected the probe's columns") as error:
        load_run(copy)
    assert "\n" not in str(error.value) and str(copy / GRADIENTS) in str(error.value)


def test_gradients_of_a_run_with_a_short_file_is_one_line_and_exit_2(saved, tmp_path, capsys):
    copy = save_run(tmp_path / "copy", load_run(saved).record)
    (copy / GRADIENTS).write_text(_short_flow_file((copy / GRADIENTS).read_text()))
    before = (copy / GRADIENTS).read_bytes()
    assert main(["gradients", str(copy)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and str(copy / GRADIENTS) in captured.err
    assert main(["train", "--headless", "--from", str(copy), "--epochs", "6"]) == 2  # not continued under 2 lags
    assert (copy / GRADIENTS).read_bytes() == before


def test_a_numbers_layout_run_with_a_flow_file_is_refused(saved, tmp_path):
    record = Session().train(preset("report", epochs=1, samples=64, hidden=8))
    folder = save_run(tmp_path / "numbers", record)
    (folder / GRADIENTS).write_bytes((saved / GRADIENTS).read_bytes())
    with pytest.raises(RunError, match="records no gradient flow") as error:
        load_run(folder)
    assert str(folder / GRADIENTS) in str(error.value)


# -- tui-lstm gradients ---------------------------------------------------------------


def test_the_gradients_table(saved, capsys):
    assert main(["gradients", str(saved)]) == 0
    legend, header, *rows = capsys.readouterr().out.splitlines()
    assert f"{PROBE_SUMS} {PROBE_WIDTH}-bit sums" in legend
    lags = [f"{state}{k}" for state in "hc" for k in (1, 4, 16, 32, 64)]
    assert header.split() == ["epoch", *lags, "i", "f", "o"]
    assert [row.split()[0] for row in rows] == ["1", "2", "3", "4"]
    flow = load_run(saved).record.flow[-1].flow
    last = rows[-1].split()
    assert float(last[4]) == pytest.approx(flow.norms["h"][32] / flow.norms["h"][0], rel=0.06)  # to 2 figures
    assert last[-1] == f"{flow.saturation['o']:.0%}"


def test_the_gradients_json(saved, capsys):
    assert main(["gradients", str(saved), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["probe"] == {"sums": PROBE_SUMS, "width": PROBE_WIDTH, "seed": 14}
    assert [epoch["epoch"] for epoch in data["epochs"]] == [1, 2, 3, 4]
    last, flow = data["epochs"][-1], load_run(saved).record.flow[-1].flow
    assert last["norms"]["c"] == flow.norms["c"].tolist() and len(last["norms"]["h"]) == PROBE_WIDTH + 1
    assert last["saturation"] == flow.saturation


@pytest.mark.parametrize(
    ("run", "message"),
    [
        (lambda tmp_path: tmp_path / "nowhere", "no such run"),
        (lambda tmp_path: FIXTURES[0], "no gradient flow recorded"),
        (
            lambda tmp_path: save_run(tmp_path / "n", Session().train(preset("report", epochs=1, samples=8, hidden=4))),
            "needs the bits layout",
        ),
    ],
)
def test_gradients_of_a_run_without_them_is_one_line_and_exit_2(tmp_path, capsys, run, message):
    assert main(["gradients", str(run(tmp_path))]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and captured.err.count("\n") == 1


# -- eval: accuracy by carry-chain length ------------------------------------------------


def test_eval_json_by_chain_length_at_the_training_width_and_wider(saved, capsys):
    assert main(["eval", str(saved), "--up-to", "64", "--json"]) == 0
    widths = json.loads(capsys.readouterr().out)["widths"]
    own = widths[0]["by_chain_length"]
    assert own["over"] == "all 16,384 7-bit pairs"
    assert [row["chain"] for row in own["groups"]] == [str(n) for n in range(8)]
    assert sum(row["pairs"] for row in own["groups"]) == 4**7
    right = sum(row["right"] for row in own["groups"])
    assert right / 4**7 == pytest.approx(widths[0]["exact_accuracy"])  # the same pairs, grouped
    wide = widths[-1]["by_chain_length"]
    assert wide["over"] == "10,000 planted 64-bit pairs"
    assert [row["chain"] for row in wide["groups"]] == ["0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64"]
    assert [row["pairs"] for row in wide["groups"]] == [1250] * 8


def test_plain_eval_shows_a_line_by_chain_length(saved, capsys):
    assert main(["eval", str(saved), "--bits", "16", "--samples", "200"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("  by carry chain (200 planted 16-bit pairs): 0 ")
    assert lines[1].count("·") == 16  # a group per length up to 16 bits: 0 .. 16


def test_flow_rows_pickle_with_the_record(saved):
    """A sweep's worker sends its record back pickled: the flow goes with it."""
    import pickle

    record = load_run(saved).record
    back = pickle.loads(pickle.dumps(record))
    assert [row.epoch for row in back.flow] == [1, 2, 3, 4]
    assert np.array_equal(back.flow[-1].flow.norms["h"], record.flow[-1].flow.norms["h"])
    assert dataclasses.replace(record, flow=()).flow == ()


def test_a_keras_run_records_the_flow_of_its_weights_in_the_numpy_network():
    pytest.importorskip("tensorflow")
    from tui_lstm.nn.flow import probe

    session = Session()
    record = session.train(preset("fast", backend="keras", epochs=2, samples=64, state_noise=0.0, noise_rise=0.0))
    assert [row.epoch for row in record.flow] == [1, 2]
    network = session.trainer.backend.numpy_network()
    assert record.flow[-1].flow == probe(network, "bits", "bce")

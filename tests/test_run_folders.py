"""A run folder is written whole or not at all, never outside the folder asked for, and a
damaged one is refused in one line (issue 10, classes 3, 4, 5 and 7).

The kill-during-save cases kill a real subprocess at each point of a save; the permission
cases run without root's bypass (the DAC capabilities dropped with setpriv).
"""

import csv
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_lstm import runs
from tui_lstm.cli import main
from tui_lstm.config import ConfigError, TrainConfig

FORMAT_0 = Path(__file__).parent / "fixtures" / "runs" / "format0-numpy"
PARTIAL = ".tui-lstm-partial-"
SETPRIV = shutil.which("setpriv")


@pytest.fixture(scope="module")
def record():
    return runs.load_run(FORMAT_0).record


@pytest.fixture(scope="module")
def good(tmp_path_factory, record):
    """A complete run folder of the current format, to copy and damage."""
    return runs.save_run(tmp_path_factory.mktemp("good") / "run", record)


@pytest.fixture
def damaged(good, tmp_path):
    """A fresh copy of the good run, to damage."""
    return Path(shutil.copytree(good, tmp_path / "run"))


def refused_in_one_line(folder: Path, capsys, match: str | None = None) -> str:
    """load_run raises RunError in one line, and ``tui-lstm eval`` exits 2 with that line."""
    with pytest.raises(runs.RunError, match=match) as refused:
        runs.load_run(folder)
    message = str(refused.value)
    assert message and "\n" not in message
    assert main(["eval", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return message


def run_python(code: str, *args: str, timeout: float = 60, prefix: tuple[str, ...] = ()):
    return subprocess.run([*prefix, sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout)


# -- class 5: no way out of the runs folder ------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["/tmp/x", "../../x", "a/../../b", "..", ".", "...", "x\0y", "a" * 300, "", "/", "~root", "c:\\x", PARTIAL + "1-x"],
)
def test_a_preset_from_a_file_never_leads_outside_the_runs_folder(tmp_path, name):
    base = tmp_path / "runs"
    folder = runs.fresh_run_dir(base, TrainConfig(preset=name, seed=3))
    assert folder.resolve().parent == base.resolve()
    assert folder.is_dir() and not any(folder.iterdir())
    assert not folder.name.startswith(".") and len(folder.name.encode()) <= 255
    assert list(tmp_path.iterdir()) == [base] and list(base.iterdir()) == [folder]


@pytest.mark.parametrize("name", ["fast", "custom", "report-keras", "iamtrask-rnn", "hanbingtao-lstm"])
def test_ordinary_preset_names_are_kept(tmp_path, name):
    assert runs.fresh_run_dir(tmp_path, TrainConfig(preset=name, seed=4)).name == f"{name}-seed4"


def test_a_run_opened_from_a_hostile_config_saves_inside_the_runs_folder(good, tmp_path, capsys):
    """The console's ctrl+s names the folder from the opened run's preset."""
    hostile = Path(shutil.copytree(good, tmp_path / "hostile"))
    config = json.loads((hostile / runs.CONFIG).read_text())
    (hostile / runs.CONFIG).write_text(json.dumps({**config, "preset": str(tmp_path / "escaped")}))
    opened = runs.load_run(hostile).record
    base = tmp_path / "runs"
    saved = runs.save_run(runs.fresh_run_dir(base, opened.config), opened)
    assert saved.parent == base and runs.load_run(saved).record == opened
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile", "runs"]


def test_fresh_run_dir_takes_the_next_free_name(tmp_path):
    config = TrainConfig(preset="fast", seed=4)
    names = [runs.fresh_run_dir(tmp_path, config).name for _ in range(3)]
    assert names == ["fast-seed4", "fast-seed4-2", "fast-seed4-3"]


def test_parallel_runs_never_share_a_folder(tmp_path):
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tui_lstm.config import TrainConfig\n"
        "from tui_lstm.runs import fresh_run_dir\n"
        "while not Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
        "print(fresh_run_dir(Path(sys.argv[1]), TrainConfig(preset='fast')))\n"
    )
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "runs"), str(go)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    go.touch()
    folders = [proc.communicate(timeout=60)[0].strip() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert len(set(folders)) == 8 and all(Path(f).is_dir() for f in folders)


# -- class 4: the output folder is checked, and reserved, before training ------------


def test_reserve_makes_an_empty_folder_and_its_parents(tmp_path, record):
    folder = runs.reserve_run_dir(tmp_path / "a" / "b")
    assert folder == tmp_path / "a" / "b" and folder.is_dir() and not any(folder.iterdir())
    assert list((tmp_path / "a").iterdir()) == [folder]  # the probe of the partial folder is gone
    assert runs.save_run(folder, record) == folder and runs.load_run(folder).record == record


def test_an_empty_folder_left_by_a_killed_run_is_free(tmp_path):
    (tmp_path / "left").mkdir()
    assert runs.reserve_run_dir(tmp_path / "left") == tmp_path / "left"


def unwritable_places(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("kept")
    (tmp_path / "file").write_text("kept")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    return {
        "not empty": tmp_path / "full",
        "a file": tmp_path / "file",
        "under a file": tmp_path / "file" / "x",
        "a dangling symlink": tmp_path / "dangling",
        "a symlink": tmp_path / "link",
        "a name over 255 bytes": tmp_path / ("n" * 256),
        "under /proc": Path("/proc/tui-lstm-run"),
        "/proc itself": Path("/proc/self"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not empty",
        "a file",
        "under a file",
        "a dangling symlink",
        "a symlink",
        "a name over 255 bytes",
        "under /proc",
        "/proc itself",
    ],
)
def test_an_unusable_out_folder_is_refused_in_one_line_and_nothing_changes(tmp_path, case):
    place = unwritable_places(tmp_path)[case]
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(runs.RunError) as refused:
        runs.reserve_run_dir(place)
    assert "\n" not in str(refused.value) and str(place) in str(refused.value)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "full" / "x").read_text() == "kept" and (tmp_path / "file").read_text() == "kept"


RESERVE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from tui_lstm.runs import RunError, reserve_run_dir\n"
    "try:\n"
    "    reserve_run_dir(Path(sys.argv[1]))\n"
    "except RunError as error:\n"
    "    print(error)\n"
)


def test_a_read_only_file_system_is_refused(tmp_path):
    """Under a read-only tmpfs mounted in a mount namespace of the subprocess's own."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is not installed")
    mount = f'mount -t tmpfs -o ro none {tmp_path} && exec {sys.executable} -c "$0" {tmp_path / "run"}'
    result = subprocess.run([unshare, "-m", "sh", "-c", mount, RESERVE], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a read-only file system here: {result.stderr.strip()}")
    assert result.stdout.strip() == f"{tmp_path / 'run'}: cannot write there (read-only file system)"


def without_root_bypass(code: str, *args: str):
    """Run ``code`` with the DAC capabilities dropped: permissions apply to root too."""
    if SETPRIV is None:
        pytest.skip("setpriv is not installed")
    drop = "-dac_override,-dac_read_search"
    result = run_python(code, *args, prefix=(SETPRIV, f"--inh-caps={drop}", f"--bounding-set={drop}"))
    if "Operation not permitted" in result.stderr and "setpriv" in result.stderr:
        pytest.skip(f"cannot drop capabilities here: {result.stderr.strip()}")
    return result


def test_an_unwritable_parent_is_refused_before_training(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    result = without_root_bypass(RESERVE, str(parent / "run"))
    assert result.returncode == 0 and "permission denied" in result.stdout.lower(), result.stderr
    assert list(parent.iterdir()) == []


def test_an_empty_folder_whose_parent_is_read_only_is_refused(tmp_path):
    """The final save renames a partial folder made beside the target: the reservation proves it can."""
    parent = tmp_path / "locked"
    (parent / "run").mkdir(parents=True)
    parent.chmod(0o555)
    result = without_root_bypass(RESERVE, str(parent / "run"))
    assert result.returncode == 0 and "permission denied" in result.stdout.lower(), result.stderr
    assert [p.name for p in parent.iterdir()] == ["run"]


# -- class 3: a save is atomic -------------------------------------------------------


def test_a_folder_taken_meanwhile_is_never_written_over(tmp_path, record):
    folder = runs.reserve_run_dir(tmp_path / "run")
    (folder / "theirs.txt").write_text("kept")
    with pytest.raises(runs.RunError, match="not empty") as refused:
        runs.save_run(folder, record)
    assert "\n" not in str(refused.value)
    assert [p.name for p in folder.iterdir()] == ["theirs.txt"] and (folder / "theirs.txt").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no partial folder left behind


def test_a_run_that_cannot_be_saved_is_rescued(tmp_path, record):
    kept = runs.rescue_run(record)
    try:
        assert kept.name.startswith("tui-lstm-unsaved-") and kept.parent == Path(tempfile.gettempdir())
        assert runs.load_run(kept).record == record
    finally:
        shutil.rmtree(kept)


def test_a_folder_without_its_completion_marker_is_refused(damaged, capsys):
    (damaged / runs.SUMMARY).unlink()
    message = refused_in_one_line(damaged, capsys, "not a complete run")
    assert "summary.json" in message


SAVE_UNDER_KILL = """
import os, sys, time
from pathlib import Path
from tui_lstm.runs import load_run, save_run

record = load_run(Path(sys.argv[1])).record
pause_at, calls, real_fsync = int(sys.argv[3]), [0], os.fsync

def fsync(fd):  # this script's own pause, at the n-th fsync of the save
    real_fsync(fd)
    calls[0] += 1
    if calls[0] == pause_at:
        print("paused", flush=True)
        time.sleep(600)

os.fsync = fsync
save_run(Path(sys.argv[2]), record)
print("saved", calls[0], flush=True)
"""


def save_in_subprocess(target: Path, pause_at: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SAVE_UNDER_KILL, str(FORMAT_0), str(target), str(pause_at)],
        stdout=subprocess.PIPE,
        text=True,
    )


def fsyncs_in_a_save(tmp_path: Path) -> int:
    proc = save_in_subprocess(tmp_path / "count" / "run", 0)
    out = proc.communicate(timeout=60)[0].split()
    assert proc.returncode == 0 and out[0] == "saved"
    shutil.rmtree(tmp_path / "count")
    return int(out[1])


def test_a_save_killed_at_any_point_leaves_nothing_half_written(tmp_path, record, capsys):
    points = fsyncs_in_a_save(tmp_path)
    assert points >= 6  # each of the five files, the partial folder, and the rename
    for pause_at in range(1, points + 1):
        base = tmp_path / f"at{pause_at}"
        target = runs.reserve_run_dir(base / "run") if pause_at % 2 else base / "run"
        proc = save_in_subprocess(target, pause_at)
        assert proc.stdout.readline().strip() == "paused"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        complete = (target / runs.SUMMARY).exists()
        if complete:  # killed after the rename: the run is whole
            assert runs.load_run(target).record == record
        else:
            assert not target.exists() or not any(target.iterdir())
            assert runs.list_runs(base) == []
            for leftover in base.iterdir():  # whole but not renamed yet, or refused in one line
                if leftover.name.startswith(PARTIAL) and (leftover / runs.SUMMARY).exists():
                    assert runs.load_run(leftover).record == record
                elif leftover.name.startswith(PARTIAL):
                    refused_in_one_line(leftover, capsys)
            runs.save_run(target, record)  # the name is not blocked
        assert [p.name for p in base.iterdir()] == ["run"], f"a leftover after a kill at fsync {pause_at}"
        assert runs.list_runs(base) == [target] and runs.load_run(target).record == record


def test_leftovers_of_killed_saves_are_cleaned_and_never_listed(tmp_path, record):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / f"{PARTIAL}{dead.stdout.strip()}-0000-old"
    leftover.mkdir()
    (leftover / runs.SUMMARY).write_text("{}")
    live = tmp_path / f"{PARTIAL}{os.getpid()}-0000-live"  # a save under way, here
    live.mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a-file").write_text("")
    assert runs.list_runs(tmp_path) == []
    runs.fresh_run_dir(tmp_path, TrainConfig())
    assert not leftover.exists() and live.exists()
    leftover.mkdir()
    saved = runs.save_run(tmp_path / "run", record)
    assert not leftover.exists() and live.exists()
    assert runs.list_runs(tmp_path) == [saved]


# -- class 7: damaged run folders ----------------------------------------------------


def npz_bytes(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def good_arrays(folder: Path) -> dict:
    with np.load(folder / "model.npz") as archive:
        return {name: archive[name] for name in archive.files}


def header_claiming(shape: tuple) -> bytes:
    """An .npy member whose header claims ``shape`` of float32, followed by a few bytes."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buffer.getvalue() + b"\0" * 64


def zip_of(members: dict[str, bytes | int]) -> bytes:
    """A zip archive; an int member is that many zero bytes, deflated (a zip bomb when large)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, int):
                with archive.open(name, "w", force_zip64=True) as member:
                    for _ in range(content // 2**20):
                        member.write(bytes(2**20))
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def damage_model(folder: Path, how: str) -> None:
    arrays = good_arrays(folder)
    data = {
        "a .npy": lambda: npy_bytes(arrays["cell.W"]),
        "a header claiming 149 GiB": lambda: zip_of(
            {**arrays_npy(arrays), "cell.W.npy": header_claiming((200_000, 200_000))}
        ),
        "a zip bomb": lambda: zip_of({**arrays_npy(arrays), "cell.W.npy": 64 * 2**20}),
        "truncated": lambda: (folder / "model.npz").read_bytes()[:500],
        "a pickle": lambda: npz_bytes({**arrays, "cell.W": np.array([{}], dtype=object)}),
        "wrong shapes": lambda: npz_bytes({**arrays, "cell.W": arrays["cell.W"][:1]}),
        "a missing array": lambda: npz_bytes({k: v for k, v in arrays.items() if k != "head.b"}),
        "ints": lambda: npz_bytes({**arrays, "head.b": arrays["head.b"].astype(np.int32)}),
        "NaN weights": lambda: npz_bytes({**arrays, "head.b": arrays["head.b"] * np.nan}),
        "an extra member": lambda: zip_of({**arrays_npy(arrays), "extra.npy": npy_bytes(arrays["head.b"])}),
        "empty": lambda: b"",
    }[how]()
    (folder / "model.npz").write_bytes(data)


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def arrays_npy(arrays: dict) -> dict[str, bytes]:
    return {f"{name}.npy": npy_bytes(array) for name, array in arrays.items()}


@pytest.mark.parametrize(
    "how",
    [
        "a .npy",
        "a header claiming 149 GiB",
        "a zip bomb",
        "truncated",
        "a pickle",
        "wrong shapes",
        "a missing array",
        "ints",
        "NaN weights",
        "an extra member",
        "empty",
    ],
)
def test_a_damaged_model_file_is_refused_in_one_line(damaged, capsys, how):
    damage_model(damaged, how)
    message = refused_in_one_line(damaged, capsys, "model.npz")
    if how == "a zip bomb":  # refused on the sizes it declares, before a byte is inflated
        assert "cell.W declares" in message
    if how == "a header claiming 149 GiB":  # refused on its header, before the array is made
        assert "cell.W is float32(200000, 200000)" in message


def config_damage(folder: Path, how: str) -> None:
    path = folder / runs.CONFIG
    config = json.loads(path.read_text())
    if how == "a directory":
        path.unlink()
        path.mkdir()
        return
    text = {
        "a list": lambda: "[1, 2]",
        "a number": lambda: "7",
        "deeply nested": lambda: "[" * 200_000 + "]" * 200_000,
        "not JSON": lambda: "{bits: 4",
        "missing bits": lambda: json.dumps({k: v for k, v in config.items() if k != "bits"}),
        "bits a string": lambda: json.dumps({**config, "bits": "64"}),
        "an unknown key": lambda: json.dumps({**config, "carry": 1}),
        "over a MiB": lambda: json.dumps({**config, "preset": "x" * 2**21}),
    }.get(how)
    if text:
        path.write_text(text())
    else:
        path.write_bytes(b"\xff\xfe{\x00")  # not UTF-8


@pytest.mark.parametrize(
    "how",
    [
        "a list",
        "a number",
        "deeply nested",
        "not JSON",
        "not UTF-8",
        "missing bits",
        "bits a string",
        "an unknown key",
        "over a MiB",
        "a directory",
    ],
)
def test_a_damaged_config_is_refused_in_one_line(damaged, capsys, how):
    config_damage(damaged, how)
    refused_in_one_line(damaged, capsys, "config.json")


def test_missing_settings_are_refused_not_filled_with_defaults():
    """A 64-bit model's config without its bits was evaluated as a 7-bit one."""
    full = json.loads(TrainConfig(bits=64).to_json())
    assert TrainConfig.from_dict(full) == TrainConfig(bits=64)
    for name in full:
        with pytest.raises(ConfigError, match=f"missing setting {name!r}") as refused:
            TrainConfig.from_dict({k: v for k, v in full.items() if k != name})
        assert refused.value.name == name


def history_damage(text: str, how: str) -> str:
    header, first, *rest = text.splitlines()
    row = first.split(",")
    damaged_row = {
        "the wrong columns": lambda: None,
        "a short row": lambda: row[:-1],
        "an oversized row": lambda: row + ["1"],
        "not a number": lambda: ["x", *row[1:]],
        "a NUL": lambda: [row[0] + "\0", *row[1:]],
        "a huge field": lambda: [row[0] + "0" * 300_000, *row[1:]],
    }[how]()
    if damaged_row is None:
        return "epoch,loss\n1,0.5\n"
    return "\n".join([header, ",".join(damaged_row), *rest]) + "\n"


@pytest.mark.parametrize(
    "how", ["the wrong columns", "a short row", "an oversized row", "not a number", "a NUL", "a huge field"]
)
def test_a_damaged_history_is_refused_in_one_line(damaged, capsys, how):
    path = damaged / runs.HISTORY
    path.write_text(history_damage(path.read_text(), how))
    refused_in_one_line(damaged, capsys, runs.HISTORY)


@pytest.mark.parametrize(
    "name, content",
    [
        (runs.RESULTS, b"\xff\xfe"),
        (runs.SUMMARY, b"[]"),
        (runs.SUMMARY, b'{"state": "finished", "epochs_run": "twelve"}'),
        (runs.SUMMARY, b'{"state": "finished", "generalization": {"x": 1}}'),
        (runs.SUMMARY, b'{"state": 7}'),
        (runs.SUMMARY, b'{"state": "finished", "provenance": [1]}'),
        (runs.SUMMARY, b'{"state": "finished", "eval_exact_accuracy": "1"}'),
    ],
)
def test_damaged_results_or_summary_are_refused_in_one_line(damaged, capsys, name, content):
    (damaged / name).write_bytes(content)
    refused_in_one_line(damaged, capsys, name)


@pytest.mark.parametrize("name", [runs.CONFIG, runs.HISTORY, runs.RESULTS, runs.SUMMARY, "model.npz"])
def test_a_missing_file_is_refused_in_one_line(damaged, capsys, name):
    (damaged / name).unlink()
    refused_in_one_line(damaged, capsys, name)


def test_a_run_folder_that_is_a_file_or_absent_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    refused_in_one_line(tmp_path / "file", capsys, "not a run folder")
    refused_in_one_line(tmp_path / "absent", capsys, "absent")


@pytest.mark.parametrize("name", [runs.CONFIG, runs.SUMMARY, runs.HISTORY, runs.RESULTS, "model.npz"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_file_that_is_not_regular_is_refused_without_blocking(damaged, name, kind):
    """Run in a subprocess with a time limit: a read that blocks or never ends is the failure."""
    (damaged / name).unlink()
    if kind == "fifo":
        os.mkfifo(damaged / name)
    else:
        (damaged / name).symlink_to("/dev/zero")
    result = run_python("from tui_lstm.cli import main; raise SystemExit(main())", "eval", str(damaged), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert name in result.stderr and "not a regular file" in result.stderr


@pytest.mark.parametrize("name", [runs.CONFIG, runs.SUMMARY, runs.HISTORY, runs.RESULTS, "model.npz", ""])
def test_an_unreadable_file_is_refused_in_one_line(damaged, name):
    (damaged / name).chmod(0o600 if name == "" else 0o000)  # "": the folder itself, its files out of reach
    try:
        result = without_root_bypass("from tui_lstm.cli import main; raise SystemExit(main())", "eval", str(damaged))
    finally:
        (damaged / name).chmod(0o755 if name == "" else 0o644)
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert "permission denied" in result.stderr.lower()


# -- any damage at all: loaded whole, or refused in one line --------------------------

FILES = [runs.CONFIG, runs.HISTORY, runs.RESULTS, runs.SUMMARY, "model.npz"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
SETTINGS = st.sampled_from([f.name for f in dataclasses.fields(TrainConfig)] + ["format", "state", "epochs_run"])
DAMAGES = st.one_of(
    st.tuples(st.just("truncate"), st.sampled_from(FILES), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.sampled_from(FILES), st.floats(0, 1), st.integers(1, 255)),
    st.tuples(st.just("replace"), st.sampled_from(FILES), st.binary(max_size=64)),
    st.tuples(st.just("append"), st.sampled_from(FILES), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("delete"), st.sampled_from(FILES)),
    st.tuples(st.just("folder"), st.sampled_from(FILES)),
    st.tuples(st.just("link"), st.sampled_from(FILES), st.sampled_from(FILES)),
    st.tuples(st.just("set"), st.sampled_from([runs.CONFIG, runs.SUMMARY]), SETTINGS, JSON_VALUES),
    st.tuples(st.just("drop"), st.sampled_from([runs.CONFIG, runs.SUMMARY]), SETTINGS),
)


def apply_damage(folder: Path, damage: tuple) -> None:
    kind, name, *args = damage
    path = folder / name
    if not path.is_file() or path.is_symlink():
        return  # an earlier damage took it away
    data = path.read_bytes()
    if kind in ("truncate", "flip") and data:
        at = min(int(args[0] * len(data)), len(data) - 1)
        data = data[:at] if kind == "truncate" else data[:at] + bytes([data[at] ^ args[1]]) + data[at + 1 :]
    elif kind in ("replace", "append"):
        data = args[0] if kind == "replace" else data + args[0]
    elif kind in ("set", "drop"):
        try:
            content = json.loads(data)
        except ValueError:
            return
        if isinstance(content, dict):
            content.pop(args[0], None) if kind == "drop" else content.update({args[0]: args[1]})
        data = json.dumps(content).encode()
    elif kind != "flip":
        path.unlink()
        if kind == "folder":
            path.mkdir()
        elif kind == "link":
            path.symlink_to(args[0])
        return
    path.write_bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(DAMAGES, min_size=1, max_size=3))
def test_a_randomly_damaged_folder_loads_whole_or_is_refused_in_one_line(good, damages):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(good, Path(scratch) / "run"))
        for damage in damages:
            apply_damage(folder, damage)
        try:
            run = runs.load_run(folder)
        except runs.RunError as error:
            assert str(error) and "\n" not in str(error)
        else:
            assert run.record.config.backend == "numpy" and len(run.record.model) > 0


# -- the files of a run agree: its epochs, its training state ---------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A 3-epoch fast run saved by ``train --headless``: history, gradients.csv and training_state.npz."""
    out = tmp_path_factory.mktemp("trained") / "r"
    assert (
        main(["train", "--headless", "--preset", "fast", "--samples", "128", "--epochs", "3", "--out", str(out)]) == 0
    )
    return out


@pytest.fixture
def copy(trained, tmp_path):
    """A fresh copy of the trained run, to damage."""
    return Path(shutil.copytree(trained, tmp_path / "r"))


def continued_in_one_line(folder: Path, capsys) -> str:
    """``train --from`` refuses the folder in one line, exit 2, and leaves every file as it was."""
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    capsys.readouterr()
    assert main(["train", "--headless", "--from", str(folder), "--epochs", "5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    return err


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_a_history_cut_to_its_first_epoch_is_refused_not_continued(copy, capsys):
    """The tester's case: eval took it, and --from relabelled epoch 3's weights as epoch 2."""
    (copy / runs.HISTORY).write_text("".join(lines_of(copy / runs.HISTORY)[:2]))
    message = refused_in_one_line(copy, capsys)
    assert message == f"{copy / runs.HISTORY}: 1 epoch, summary.json says 3"
    assert runs.HISTORY in continued_in_one_line(copy, capsys)


@pytest.mark.parametrize(
    "cut",
    [
        lambda text: text[: text.index("\n3,")] + "\n3,0.5,0.5,0.5,0.5,0.5,0.5,0.5,",  # mid-row: every field there
        lambda text: text[:-4],  # within the last number: every epoch there, the last row short of its end
    ],
    ids=["a row cut to its fields", "the last number cut"],
)
def test_a_history_cut_mid_row_that_still_parses_is_refused(copy, capsys, cut):
    path = copy / runs.HISTORY
    path.write_bytes(cut(path.read_bytes().decode()).encode())
    header, *rows = csv.reader(io.StringIO(path.read_text(), newline=""))
    assert all(len(row) == len(header) and row[0].isdigit() for row in rows)  # it parses: each row whole
    refused_in_one_line(copy, capsys, runs.HISTORY)


@pytest.mark.parametrize(
    ("epochs", "message"),
    [
        ([1, 3, 2], "line 3 is epoch 3, not 2"),
        ([1, 2, 2], "line 4 is epoch 2, not 3"),
        ([0, 1, 2], "line 2 is epoch 0"),
    ],
)
def test_a_history_whose_epochs_are_not_1_to_n_in_order_is_refused(copy, capsys, epochs, message):
    path = copy / runs.HISTORY
    header, *rows = lines_of(path)
    path.write_text(header + "".join(str(epoch) + row[row.index(",") :] for epoch, row in zip(epochs, rows)))
    assert message in refused_in_one_line(copy, capsys, runs.HISTORY)


@pytest.mark.parametrize("epochs_run", [-1, 2, 4, 10**30])
def test_a_summary_whose_epochs_run_disagrees_is_refused(copy, capsys, epochs_run):
    path = copy / runs.SUMMARY
    path.write_text(json.dumps({**json.loads(path.read_text()), "epochs_run": epochs_run}))
    assert runs.SUMMARY in refused_in_one_line(copy, capsys)


def test_a_negative_epochs_run_is_refused_as_such(copy, capsys):
    """Even beside an empty history (no epochs to disagree with)."""
    path = copy / runs.HISTORY
    path.write_text(lines_of(path)[0])
    (copy / runs.GRADIENTS).unlink()
    summary = copy / runs.SUMMARY
    summary.write_text(json.dumps({**json.loads(summary.read_text()), "epochs_run": -1}))
    assert "epochs_run -1 is not a count of epochs" in refused_in_one_line(copy, capsys, runs.SUMMARY)


@pytest.mark.parametrize(
    "rows",
    [[0, 1], [0, 1, 2, 1, 2], [0, 2], [2, 1], [0, 0, 1, 2], []],
    ids=["cut short", "epochs again", "a gap", "backwards", "twice", "no rows"],
)
def test_a_gradients_file_whose_epochs_do_not_fit_the_history_is_refused(copy, capsys, rows):
    """The tester's case ended with gradients.csv's epochs 1, 2, 3, 2, 3, 4, 5. A run
    records the flow of every epoch since it was first probed: epochs k to the last."""
    path = copy / runs.GRADIENTS
    header, *lines = lines_of(path)
    path.write_text(header + "".join(lines[k] for k in rows))
    assert runs.GRADIENTS in refused_in_one_line(copy, capsys)
    assert runs.GRADIENTS in continued_in_one_line(copy, capsys)


@pytest.mark.parametrize("rows", [[1, 2], [2]], ids=["a format-2 run continued", "continued again"])
def test_a_gradients_file_of_the_newest_epochs_loads(copy, rows):
    """A format-2 run continued in format 3 records only its new epochs."""
    path = copy / runs.GRADIENTS
    header, *lines = lines_of(path)
    path.write_text(header + "".join(lines[k] for k in rows))
    assert [row.epoch for row in runs.load_run(copy).record.flow] == [k + 1 for k in rows]


def test_every_checkpoint_of_a_run_loads(tmp_path):
    """A checkpoint is a stopped run: its history, summary and flow agree at every epoch it is taken."""
    from tui_lstm.config import preset
    from tui_lstm.session import Session

    taken = []
    Session(checkpoint=taken.append).train(preset("fast", epochs=5, samples=64, checkpoint_every=1))
    for n, record in enumerate(taken, 1):
        loaded = runs.load_run(runs.save_run(tmp_path / str(n), record)).record
        assert loaded.state == "stopped" and loaded.summary.epochs_run == len(loaded.history) == n
        assert [row.epoch for row in loaded.flow] == list(range(1, n + 1))
    assert len(taken) == 4


def test_an_empty_training_state_is_refused_not_taken_for_absent(copy, capsys):
    """A 0-byte training_state.npz went on with fresh optimizer moments; no save writes one."""
    (copy / runs.TRAINING_STATE).write_bytes(b"")
    assert runs.TRAINING_STATE in refused_in_one_line(copy, capsys)
    assert runs.TRAINING_STATE in continued_in_one_line(copy, capsys)


def test_a_truncated_training_state_is_refused_by_eval_too(copy, capsys):
    path = copy / runs.TRAINING_STATE
    path.write_bytes(path.read_bytes()[:100])
    assert runs.TRAINING_STATE in refused_in_one_line(copy, capsys)


def test_a_missing_training_state_still_loads(copy):
    """Format 1 runs were written before training_state.npz was, and the notes promise none for every run."""
    (copy / runs.TRAINING_STATE).unlink()
    assert runs.load_run(copy).record.training_state == b""


@pytest.mark.parametrize("t", [np.array(-1), np.array(0), np.array(2.5), np.array([3, 3]), np.array(True)])
def test_an_adam_step_count_that_is_no_count_is_refused(copy, capsys, t):
    """A step count of -1 trained on with a learning rate of 0/0 and diverged."""
    from tui_lstm.record import pack, unpack

    path = copy / runs.TRAINING_STATE
    path.write_bytes(pack({**unpack(path.read_bytes()), "backend.optimizer.t": t}))
    err = continued_in_one_line(copy, capsys)
    assert "step count" in err and str(copy) in err

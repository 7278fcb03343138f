"""The command-line conventions users expect (issue 12): ``python -m tui_lstm``,
``--version``, one runs folder (``--runs-dir``, ``$TUI_LSTM_RUNS``, ``./runs``) where RUN
names are looked up, no console without a terminal, ``--help`` that says what a command
does and shows it, and ``train --show-config``. All through the real command."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tui_lstm import cli
from tui_lstm.cli import RUNS_ENV, WEB_DRIVER, build_parser, main
from tui_lstm.config import preset

TINY = ["--bits", "3", "--hidden", "4", "--samples", "32", "--batch-size", "16", "--test-samples", "10"]
TINY_RUN = [*TINY, "--epochs", "1"]


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture
def here(tmp_path, monkeypatch):
    """An empty working folder, and no runs folder in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(RUNS_ENV, raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A runs folder holding one run, named ``tiny``."""
    runs = tmp_path_factory.mktemp("saved") / "runs"
    assert main(["train", "--headless", *TINY_RUN, "--out", str(runs / "tiny")]) == 0
    return runs


def test_python_dash_m_is_the_command_and_says_its_version():
    result = subprocess.run([sys.executable, "-m", "tui_lstm", "--version"], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"tui-lstm {version('tui-lstm')}\n", "")


def test_importing_the_main_module_runs_nothing(here):
    result = subprocess.run(
        [sys.executable, "-c", "import tui_lstm.__main__"], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


CTRL_C_WHILE_LOADING = """
import sys
from importlib.metadata import entry_points

class CtrlC:  # a Ctrl+C landing while Python loads the command's modules
    def find_spec(self, name, path, target=None):
        if name == "tui_lstm.cli":
            raise KeyboardInterrupt

command = entry_points(group="console_scripts")["tui-lstm"].load()  # what the tui-lstm script runs
sys.meta_path.insert(0, CtrlC())
sys.exit(command())
"""


def test_a_ctrl_c_while_the_command_loads_exits_130_in_one_line(here):
    """A Ctrl+C in the first tenths of a second, while NumPy and the rest load, gave a
    KeyboardInterrupt traceback: the tui-lstm script imported the CLI outside any guard."""
    result = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_LOADING], capture_output=True, text=True, timeout=60)
    assert result.returncode == 130 and one_line(result.stderr) == "tui-lstm: interrupted"


def test_python_dash_m_runs_subcommands(here):
    result = subprocess.run(
        [sys.executable, "-m", "tui_lstm", "train", "--show-config", "--json", "--seed", "5"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["config"]["seed"] == 5


# --- the runs folder --------------------------------------------------------------------


def trained_into(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def test_runs_go_to_dot_runs_by_default(here, capsys):
    assert main(["train", "--headless", *TINY_RUN]) == 0
    assert trained_into(here / "runs") == ["fast-seed0"]


def test_the_environment_variable_moves_the_runs_folder(here, monkeypatch, capsys):
    monkeypatch.setenv(RUNS_ENV, str(here / "from-env"))
    assert main(["train", "--headless", *TINY_RUN]) == 0
    assert trained_into(here / "from-env") == ["fast-seed0"] and not (here / "runs").exists()


@pytest.mark.parametrize("where", ["after", "before"], ids=["flag-after-the-command", "flag-before-it"])
def test_the_flag_beats_the_environment_variable(here, monkeypatch, capsys, where):
    monkeypatch.setenv(RUNS_ENV, str(here / "from-env"))
    flag = ["--runs-dir", str(here / "from-flag")]
    argv = ["train", "--headless", *TINY_RUN, *flag] if where == "after" else [*flag, "train", "--headless", *TINY_RUN]
    assert main(argv) == 0
    assert trained_into(here / "from-flag") == ["fast-seed0"]
    assert not (here / "from-env").exists() and not (here / "runs").exists()


def test_runs_lists_the_runs_folder_and_still_takes_a_folder(saved, here, monkeypatch, capsys):
    monkeypatch.setenv(RUNS_ENV, str(saved))
    assert main(["runs", "--json"]) == 0
    assert [Path(run["path"]).name for run in json.loads(capsys.readouterr().out)["runs"]] == ["tiny"]
    assert main(["runs", str(here / "empty"), "--runs-dir", str(saved)]) == 2  # the folder given wins
    assert "empty" in one_line(capsys.readouterr().err)


def test_a_sweep_goes_into_the_runs_folder(here, capsys):
    argv = ["sweep", *TINY_RUN, "--grid", "lr=0.1,0.2", "--workers", "1", "--runs-dir", "elsewhere", "--json"]
    assert main(argv) == 0
    assert Path(json.loads(capsys.readouterr().out)["sweep"]).parent == Path("elsewhere")
    assert trained_into(here) == ["elsewhere"]


def predicted(argv: list[str], capsys) -> str:
    assert main(argv) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_a_run_is_found_by_its_name_in_the_runs_folder(saved, here, monkeypatch, capsys):
    by_path = predicted(["predict", str(saved / "tiny"), "3", "4"], capsys)
    assert by_path.startswith("3 + 4 = 7, lstm(3,4) = ")
    assert predicted(["predict", "tiny", "3", "4", "--runs-dir", str(saved)], capsys) == by_path
    monkeypatch.setenv(RUNS_ENV, str(saved))
    assert predicted(["predict", "tiny", "3", "4"], capsys) == by_path
    assert main(["eval", "tiny", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pairs"] == 64  # every 3-bit pair
    assert main(["inspect", "tiny", "3", "4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["a"] == 3


def test_a_path_that_exists_is_taken_before_a_name_in_the_runs_folder(saved, here, monkeypatch, capsys):
    """``tiny`` in the working folder is an empty folder, not the run of that name."""
    (here / "tiny").mkdir()
    monkeypatch.setenv(RUNS_ENV, str(saved))
    assert main(["eval", "tiny"]) == 2
    assert one_line(capsys.readouterr().err) == "tui-lstm: error: tiny: not a run folder (no config.json)"


def test_train_from_a_name_continues_the_run_in_the_runs_folder(saved, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["train", "--headless", *TINY_RUN, "--out", str(runs / "go-on")]) == 0
    assert main(["train", "--headless", "--from", "go-on", "--epochs", "2", "--runs-dir", str(runs)]) == 0
    assert (runs / "go-on" / "history.csv").read_text().count("\n") == 3  # a header and two epochs
    assert trained_into(runs) == ["go-on"]


@pytest.mark.parametrize(
    "argv",
    [["eval", "nowhere"], ["predict", "nowhere", "1", "2"], ["inspect", "nowhere", "1", "2"]]
    + [["train", "--headless", "--from", "nowhere"]],
    ids=["eval", "predict", "inspect", "train-from"],
)
def test_a_run_found_nowhere_is_one_line_and_exit_2(here, capsys, argv):
    assert main([*argv, "--runs-dir", "mine"]) == 2
    captured = capsys.readouterr()
    assert one_line(captured.err) == "tui-lstm: error: nowhere: no such run, here or in mine"
    assert captured.out == "" and list(here.iterdir()) == []


# --- no console without a terminal ------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["train"], ["--preset", "report"]], ids=["console", "train", "a-preset"])
def test_the_console_refuses_a_pipe_in_one_line(tmp_path, argv):
    env = {key: value for key, value in os.environ.items() if key != "TEXTUAL_DRIVER"}
    result = subprocess.run(
        [sys.executable, "-m", "tui_lstm", *argv], capture_output=True, cwd=tmp_path, env=env, timeout=60
    )
    assert result.returncode == 2
    assert result.stdout == b""  # not one escape code
    line = one_line(result.stderr.decode())
    assert line.startswith("tui-lstm: error: the console needs a terminal") and "tui-lstm train --headless" in line
    assert list(tmp_path.iterdir()) == []


def test_a_console_that_textual_serve_starts_is_not_refused(here, monkeypatch, capsys):
    """textual-serve runs the console through pipes with Textual's web driver named in
    TEXTUAL_DRIVER: the console opens, in the runs folder given."""
    opened = []
    monkeypatch.setattr(cli, "run_console", lambda config, **kwargs: opened.append((config, kwargs)) or 0)
    monkeypatch.setenv("TEXTUAL_DRIVER", WEB_DRIVER)
    monkeypatch.setenv(RUNS_ENV, "from-env")
    assert main(["--preset", "report"]) == 0
    assert opened[0][0] == preset("report") and opened[0][1]["runs_dir"] == Path("from-env")
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.headless_driver:HeadlessDriver")  # not the web's
    assert main(["--preset", "report"]) == 2 and len(opened) == 1
    assert "needs a terminal" in one_line(capsys.readouterr().err)


# --- help and --show-config -------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser, prefix=()):
    """(argv, parser) for every subcommand, nested ones too."""
    for action in parser._actions:  # argparse keeps its subparsers nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from subcommands(sub, (*prefix, name))


@pytest.mark.parametrize(
    "argv",
    [
        ["--ascii", "runs"],
        ["--ascii", "train", "--headless", "--epochs", "1"],
        ["--tensorboard", "tb", "runs"],
        ["--tensorboard", "tb", "eval", "nowhere"],
        ["--ascii", "gradients", "nowhere"],
    ],
)
def test_top_level_flags_a_command_would_ignore_are_refused_in_one_line(here, capsys, argv):
    assert main(argv) == 2
    captured = capsys.readouterr()
    flag = argv[0]
    assert f"{flag} " in captured.err and captured.err.count("\n") == 1 and captured.out == ""
    assert not (here / "runs").exists() and not (here / "tb").exists()


def test_every_subcommand_is_covered():
    names = {" ".join(argv) for argv, _ in subcommands(build_parser())}
    assert {"train", "eval", "predict", "gradcheck", "inspect", "sweep", "runs", "study", "study samples"} <= names


@pytest.mark.parametrize("argv", [argv for argv, _ in subcommands(build_parser())], ids=" ".join)
def test_help_says_what_a_command_does_and_shows_it(argv, capsys):
    parser = dict(subcommands(build_parser()))[argv]
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert parser.description and parser.description.splitlines()[0] in shown
    examples = shown.split("\nexamples:\n", 1)[1].splitlines()
    assert any(line.startswith(f"  tui-lstm {' '.join(argv)}") for line in examples)


def test_show_config_prints_the_settings_with_the_flags_applied_and_trains_nothing(here, capsys):
    assert main(["train", "--preset", "report", "--epochs", "10", "--shuffle", "--show-config"]) == 0
    shown = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    expected = preset("report", epochs=10, shuffle=True)
    assert shown["preset"] == "report" and shown["hidden"] == str(expected.hidden) == "256"
    assert shown["epochs"] == "10" and shown["batch-size"] == "128" and shown["shuffle"] == "true"
    assert len(shown) == len(json.loads(expected.to_json()))
    assert main(["train", "--preset", "report", "--epochs", "10", "--shuffle", "--show-config", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config"] == json.loads(expected.to_json())
    assert list(here.iterdir()) == []


def test_show_config_refuses_bad_settings_in_one_line(here, capsys):
    with pytest.raises(SystemExit) as exit:  # refused by the parser, as any flag's bad value
        main(["train", "--preset", "nosuch", "--show-config"])
    assert exit.value.code == 2 and "unknown preset 'nosuch'" in one_line(capsys.readouterr().err)


# --- values a user did not mean ------------------------------------------------------


@pytest.mark.parametrize(
    "argv, says",
    [
        (["runs", "--runs-dir", ""], "argument --runs-dir: an empty path"),
        (["train", "--headless", *TINY_RUN, "--out", ""], "argument --out: an empty path"),
        (["train", "--headless", *TINY_RUN, "--tensorboard", ""], "argument --tensorboard: an empty path"),
        (["train", "--headless", *TINY_RUN, "--preset", ""], "argument --preset: unknown preset ''"),
        (["eval", ""], "argument RUN: an empty path"),
        (["serve", "--host", ""], "argument --host: an empty address"),
    ],
    ids=["runs-dir", "out", "tensorboard", "preset", "run", "host"],
)
def test_an_empty_value_is_refused_rather_than_read_as_here(here, capsys, argv, says):
    """`--runs-dir ''` wrote into the working folder, `--preset ''` trained fast, and
    `serve --host ''` listened on every interface."""
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2 and says in one_line(capsys.readouterr().err)
    assert list(here.iterdir()) == []


def test_from_a_symbolic_link_is_refused_as_out_refuses_one(saved, here, capsys):
    """--from through a link replaced the link with a new folder beside the run it named,
    and left the link behind as a hidden leftover."""
    (here / "alias").symlink_to(saved / "tiny")
    before = (saved / "tiny" / "history.csv").read_bytes()
    assert main(["train", "--headless", "--from", "alias", "--epochs", "2"]) == 2
    assert one_line(capsys.readouterr().err) == "tui-lstm: error: alias: a symbolic link; name the run folder itself"
    assert sorted(path.name for path in here.iterdir()) == ["alias"] and (here / "alias").is_symlink()
    assert (saved / "tiny" / "history.csv").read_bytes() == before


def test_a_run_with_no_epochs_left_says_how_many_it_has_trained(saved, capsys):
    assert main(["train", "--headless", "--from", str(saved / "tiny"), "--epochs", "1"]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"tui-lstm: error: {saved / 'tiny'} has trained 1 epoch already; give --epochs more than 1"
    )

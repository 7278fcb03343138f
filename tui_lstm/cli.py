"""The ``tui-lstm`` command: the console by default, and headless subcommands for scripts.

Every bad input ends the same way: one line on stderr, exit status 2, nothing written.
The console (and so textual) is imported only when it is opened, and only on a terminal.
Runs are kept in one runs folder: --runs-dir, else $TUI_LSTM_RUNS, else ./runs; a RUN
argument is a path, or where no such path exists, a name inside that folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

from tui_lstm.config import FIELD, PRESETS, ConfigError, TrainConfig, parse_value, preset
from tui_lstm.nn.cells import CELLS
from tui_lstm.serve.auth import MIN_TOKEN_LENGTH, TOKEN_ENV, token_refusal

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl+C
RUNS_ENV = "TUI_LSTM_RUNS"  # the runs folder where --runs-dir is not given
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"  # TEXTUAL_DRIVER in a console textual-serve starts


class UsageError(Exception):
    """Bad input found after parsing: reported as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def path_argument(text: str) -> Path:
    """A folder or file given on the command line: an empty one would quietly be the
    working folder (Path("") is "."), so it is refused."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path; name a folder")
    return Path(text)


def preset_argument(text: str) -> str:
    """A preset's name, checked as it is parsed: an empty one was quietly fast."""
    if text not in PRESETS:
        raise argparse.ArgumentTypeError(f"unknown preset {text!r}; choose from {', '.join(PRESETS)}")
    return text


def host_argument(text: str) -> str:
    """An address to listen on: an empty one would listen on every interface."""
    if not text:
        raise argparse.ArgumentTypeError("an empty address; 0.0.0.0 listens on every interface")
    return text


def _field_type(name: str):
    def convert(text: str):
        try:
            return parse_value(name, text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = FIELD[name].type  # what argparse names in its messages
    return convert


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """--preset, and one flag per TrainConfig field, named after it."""
    parser.add_argument("--preset", type=preset_argument, help=f"one of: {', '.join(PRESETS)} (default: fast)")
    for f in fields(TrainConfig):
        if f.name == "preset":
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata["help"]
        if f.metadata["choices"]:
            help_text += f" ({', '.join(f.metadata['choices'])})"
        if f.type == "bool":
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(
                flag, dest=f.name, type=_field_type(f.name), default=None, metavar=f.name.upper(), help=help_text
            )


def overrides_from(args: argparse.Namespace) -> dict:
    """The settings given as flags, by field."""
    return {
        f.name: getattr(args, f.name)
        for f in fields(TrainConfig)
        if f.name != "preset" and getattr(args, f.name, None) is not None
    }


def config_from(args: argparse.Namespace) -> TrainConfig:
    try:
        return preset(args.preset or "fast", **overrides_from(args))
    except ConfigError as error:
        raise UsageError(str(error)) from None


def print_json(figures: dict) -> None:
    """One JSON object on stdout, with the format number its keys follow (see runs.py)."""
    from tui_lstm.runs import FORMAT

    print(json.dumps({"format": FORMAT, **figures}))


def version() -> str:
    """The installed version, as pip and bug reports name it."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("tui-lstm")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from tui_lstm import __version__

        return __version__


def add_runs_dir_flag(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """--runs-dir, before or after the command's name: a subcommand's leaves the top
    level's alone unless it is given there."""
    parser.add_argument(
        "--runs-dir",
        type=path_argument,
        metavar="DIR",
        default=None if top else argparse.SUPPRESS,
        help=f"the runs folder (default: ${RUNS_ENV}, else ./runs)",
    )


def add_tensorboard_flag(parser: argparse.ArgumentParser, top: bool = False) -> None:
    parser.add_argument(
        "--tensorboard",
        type=path_argument,
        metavar="DIR",
        default=None if top else argparse.SUPPRESS,
        help="also write each epoch's loss, accuracies and lr as TensorBoard event files, a folder per run under DIR",
    )


def command(sub, name: str, summary: str, description: str, *examples: str) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does and shows how it is used."""
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


RUN_HELP = "a run folder, or the name of one in the runs folder"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tui-lstm",
        description="Watch recurrent networks learn to add binary numbers: the console, or a command below.",
        epilog="examples:\n  tui-lstm --preset report\n  tui-lstm train --headless --preset fast --out runs/f1\n"
        "  tui-lstm COMMAND --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tui-lstm {version()}")
    add_config_flags(parser)
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="charts and sparklines in ASCII (automatic where stdout's encoding has no braille)",
    )
    add_runs_dir_flag(parser, top=True)
    add_tensorboard_flag(parser, top=True)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    train = command(
        sub,
        "train",
        "train a model (in the console, or --headless)",
        "Train a model of --preset's settings, each overridden by the flag named after it: in the\n"
        "console, which starts at once, or with --headless, a line per epoch and the run folder\n"
        "saved under the runs folder. --show-config prints the settings and trains nothing.",
        "tui-lstm train --headless --preset fast --seed 1 --out runs/f1 --until-exact",
        "tui-lstm train --headless --from f1 --epochs 200     # continue runs/f1",
        "tui-lstm train --preset report --epochs 10 --show-config",
    )
    add_config_flags(train)
    add_runs_dir_flag(train)
    add_tensorboard_flag(train)
    train.add_argument("--show-config", action="store_true", help="print the settings (with --json, as JSON); no run")
    train.add_argument("--headless", action="store_true", help="no console: progress lines, then a summary")
    train.add_argument("--out", type=path_argument, help="run folder to write (default: runs/<preset>-seed<seed>)")
    train.add_argument(
        "--from",
        dest="from_run",
        type=path_argument,
        metavar="RUN",
        help="continue a saved (or checkpointed) run, in its folder unless --out; a path or a name in the runs folder",
    )
    train.add_argument("--until-exact", action="store_true", help="stop once every pair is exactly right")
    train.add_argument("--json", action="store_true", help="end with one JSON object (progress goes to stderr)")

    evaluate = command(
        sub,
        "eval",
        "exact accuracy of a saved run",
        "Exact and bit accuracy of a saved run, at its own width or, for a bits-layout model,\n"
        "at any other: e.g. --up-to 4096 scores its width, then 8, 16, ..., 4096 bits.",
        "tui-lstm eval runs/f1 --bits 64 --samples 10000",
        "tui-lstm eval f1 --up-to 4096 --samples 1000 --json",
    )
    evaluate.add_argument("run_dir", type=path_argument, metavar="RUN", help=RUN_HELP)
    add_runs_dir_flag(evaluate)
    evaluate.add_argument(
        "--bits",
        type=int,
        help="operand width to test (default: the model's; a bits-layout model takes any whose pairs fit in memory)",
    )
    evaluate.add_argument(
        "--up-to",
        type=int,
        metavar="BITS",
        help="then every power of two above --bits up to BITS, a line (or, with --json, a list entry) each",
    )
    evaluate.add_argument(
        "--samples", type=int, help="random pairs a width (default: all pairs if 8 bits or fewer, else 10000)"
    )
    evaluate.add_argument("--json", action="store_true")

    predict = command(
        sub,
        "predict",
        "add two numbers with a saved run",
        "Add two numbers with a saved run's model and print its answer beside the true sum.",
        "tui-lstm predict runs/f1 93 116     # 93 + 116 = 209, lstm(93,116) = 209",
    )
    predict.add_argument("run_dir", type=path_argument, metavar="RUN", help=RUN_HELP)
    add_runs_dir_flag(predict)
    predict.add_argument("a", type=_operand, help="any width for a bits-layout model")
    predict.add_argument("b", type=_operand)

    gradcheck = command(
        sub,
        "gradcheck",
        "check every gradient against finite differences",
        "Check the engine's gradient of every parameter, for each cell (or --cell), against\n"
        "central finite differences; exit 1 if any is off by more than the bound.",
        "tui-lstm gradcheck --cell lstm",
    )
    gradcheck.add_argument("--cell", choices=tuple(CELLS))

    inspect = command(
        sub,
        "inspect",
        "gates, states and the carry, bit by bit, for one sum",
        "Run one sum through a saved bits-layout model and show, at each bit, its gates and\n"
        "states, and the hidden unit that carries.",
        "tui-lstm inspect runs/f1 127 1",
    )
    inspect.add_argument("run_dir", type=path_argument, metavar="RUN", help=RUN_HELP)
    add_runs_dir_flag(inspect)
    inspect.add_argument("a", type=_operand, help="any width")
    inspect.add_argument("b", type=_operand)
    inspect.add_argument("--json", action="store_true", help="per-step gates and states, and the carry unit")

    sweep = command(
        sub,
        "sweep",
        "many runs over a grid of settings and seeds, here or on a Dask cluster",
        "Train a run for every point of a grid of settings and every seed, several at once,\n"
        "into one folder under the runs folder; then a table per grid point.",
        "tui-lstm sweep --preset fast --grid cell=lstm,gru,rnn --grid hidden=8,16,32 --seeds 5 --out runs/cells",
        "tui-lstm sweep --out runs/cells --resume",
    )
    add_config_flags(sweep)
    add_runs_dir_flag(sweep)
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="FIELD=V,V,...",
        help="a setting's values to sweep over (repeat for more axes), e.g. --grid cell=lstm,gru,rnn",
    )
    sweep.add_argument(
        "--seeds", default="1", help="runs per grid point: a count (seeds --seed, --seed + 1, ...) or seeds 3,7,11"
    )
    sweep.add_argument("--until-exact", action="store_true", help="stop each run once every pair is exactly right")
    sweep.add_argument(
        "--out", type=path_argument, help="the sweep's folder (default: sweep-<preset>-<axes> in the runs folder)"
    )
    sweep.add_argument("--resume", action="store_true", help="run only what the sweep in --out has not finished")
    sweep.add_argument("--dry-run", action="store_true", help="list the runs with time and memory estimates")
    sweep.add_argument("--workers", type=int, help="runs at once on this machine (default: its cores)")
    sweep.add_argument("--cluster", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://scheduler:8786")
    sweep.add_argument("--json", action="store_true", help="end with one JSON object instead of the table")

    gradients = command(
        sub,
        "gradients",
        "how far back in time the error reached, epoch by epoch",
        "The gradient flow a saved bits-layout run recorded after each epoch, on 16 fixed 64-bit\n"
        "sums: the norm of the last step's loss gradient with respect to the state k steps back,\n"
        "over its norm at k = 0 (h, and c for an LSTM), and each sigmoid gate's share of\n"
        "saturated activations (below 0.05 or above 0.95). --json: every lag, unscaled.",
        "tui-lstm gradients runs/f1",
        "tui-lstm gradients f1 --json",
    )
    gradients.add_argument("run_dir", type=path_argument, metavar="RUN", help=RUN_HELP)
    add_runs_dir_flag(gradients)
    gradients.add_argument("--json", action="store_true", help="one JSON object: the probe, and every epoch's norms")

    runs = command(
        sub,
        "runs",
        "the saved runs and sweeps under a runs folder, as a table",
        "List the runs and sweeps under a folder (the runs folder by default) with their figures.",
        "tui-lstm runs",
        "tui-lstm runs runs/cells --json",
    )
    runs.add_argument("folder", type=path_argument, nargs="?", help="(default: the runs folder)")
    add_runs_dir_flag(runs)
    runs.add_argument("--json", action="store_true", help="one JSON object instead of the table")

    serve = command(
        sub,
        "serve",
        "the console in a browser (textual-serve), a console per tab, behind a token",
        "Serve the console to browsers: each tab gets a console of its own, with the settings\n"
        "given here, saving into the same runs folder. Open the printed URL (it holds the token,\n"
        "which the page keeps in a cookie). Loopback by default: reach it from elsewhere through\n"
        "an SSH tunnel. Ctrl+C stops the server and its consoles.",
        "tui-lstm serve --preset fast --epochs 500",
        "ssh -L 8000:127.0.0.1:8000 HOST     # then open the printed URL here",
        "tui-lstm serve --host 0.0.0.0 --port 8080 --public-url http://gpu-box.lan:8080",
    )
    add_config_flags(serve)
    add_runs_dir_flag(serve)
    serve.add_argument(
        "--host", type=host_argument, default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on, 0 for any free one (default: 8000)")
    serve.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS, help="the consoles' charts in ASCII")
    add_tensorboard_flag(serve)
    serve.add_argument(
        "--token",
        help=f"the token the page asks for, at least {MIN_TOKEN_LENGTH} characters (default: ${TOKEN_ENV}, "
        "else a new random one, printed in the URL). Other users of this machine can read a command line "
        f"(ps): give a fixed token in {TOKEN_ENV} instead",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use (default: http://HOST:PORT, this machine's name for 0.0.0.0)",
    )

    study = command(
        sub,
        "study",
        "the lab report's studies, for either backend",
        "The lab report's studies, as sweeps kept in the runs folder.",
        "tui-lstm study samples --preset report-keras --sizes 100,10000,20000 --seeds 3",
    )
    studies = study.add_subparsers(dest="study", required=True, parser_class=Parser)
    samples = command(
        studies,
        "samples",
        "accuracy against training-set size (the report's section 4)",
        "Exact accuracy against the number of training pairs (the report's section 4): a sweep\n"
        "over --sizes, summed up as the report's table.",
        "tui-lstm study samples --preset report --sizes 100,1000 --seeds 2 --epochs 20",
    )
    add_config_flags(samples)
    add_runs_dir_flag(samples)
    samples.add_argument(
        "--sizes",
        type=_sizes,
        default=(100, 10_000, 20_000),
        help="training-set sizes, comma-separated (default: 100,10000,20000)",
    )
    samples.add_argument(
        "--seeds", type=int, default=1, help="runs per size, seeds --seed, --seed + 1, ... (default: 1)"
    )
    samples.add_argument("--workers", type=int, help="runs at once (default: the machine's cores)")
    samples.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    return parser


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of sizes") from None
    low, high = FIELD["samples"].metadata["low"], FIELD["samples"].metadata["high"]
    if not all(low <= size <= high for size in sizes):
        raise argparse.ArgumentTypeError(f"every size must be between {low} and {high}, not {text!r}")
    return sizes


def run_console(
    config: TrainConfig, start: bool = False, runs_dir: Path = Path("runs"), watcher=None, ascii: bool = False
) -> int:
    from tui_lstm.tui.app import run

    return run(config, start_training=start, runs_dir=runs_dir, watcher=watcher, ascii=ascii)


def runs_folder(args: argparse.Namespace) -> Path:
    """The runs folder: --runs-dir, else $TUI_LSTM_RUNS, else ./runs."""
    return getattr(args, "runs_dir", None) or Path(os.environ.get(RUNS_ENV) or "runs")


def run_argument(args: argparse.Namespace, given: Path) -> Path:
    """A RUN argument: the path where one exists, else that name inside the runs folder."""
    if os.path.lexists(given):
        return given
    inside = runs_folder(args) / given
    if os.path.lexists(inside):
        return inside
    raise UsageError(f"{given}: no such run, here or in {runs_folder(args)}")


def refuse_without_terminal() -> None:
    """The console draws with escape codes, which in a pipe or a file are noise: without a
    terminal it is refused. textual-serve's console talks through pipes on purpose, with
    Textual's web driver, which it names in TEXTUAL_DRIVER."""
    if os.environ.get("TEXTUAL_DRIVER") != WEB_DRIVER and not sys.stdout.isatty():
        raise UsageError("the console needs a terminal and stdout is not one; without one: tui-lstm train --headless")


def scalar_log(args: argparse.Namespace):
    """--tensorboard's log (a session's watcher), or None; refused in one line before any run."""
    if getattr(args, "tensorboard", None) is None:
        return None
    from tui_lstm.scalars_log import ScalarLog, ScalarLogError

    try:
        return ScalarLog(args.tensorboard)
    except ScalarLogError as error:
        raise UsageError(str(error)) from None


def open_console(args: argparse.Namespace, start: bool = False) -> int:
    """The console, on a terminal, with the runs folder and --tensorboard's log."""
    refuse_without_terminal()
    config = config_from(args)
    log = scalar_log(args)
    try:
        return run_console(
            config, start=start, runs_dir=runs_folder(args), watcher=log, ascii=getattr(args, "ascii", False)
        )
    finally:
        if log is not None:
            log.close()


def show_config(config: TrainConfig, as_json: bool) -> int:
    """``train --show-config``: the settings a run would train with, and no run."""
    settings = json.loads(config.to_json())
    if as_json:
        print_json({"config": settings})
    else:
        width = max(map(len, settings))
        for name, value in settings.items():
            print(f"{name.replace('_', '-'):<{width}}  {json.dumps(value) if isinstance(value, bool) else value}")
    return 0


def cmd_train(args) -> int:
    from tui_lstm.headless import Progress
    from tui_lstm.headless_run import HeadlessRun
    from tui_lstm.resources import too_big
    from tui_lstm.runs import RunError, fresh_run_dir, reserve_run_dir, summary_figures
    from tui_lstm.session import Session

    if not args.headless and not args.show_config:
        for flag, given in (("--out", args.out), ("--from", args.from_run)):
            if given is not None:
                raise UsageError(f"{flag} is for headless runs (add --headless); the console saves with ctrl+s")
        return open_console(args, start=True)
    if args.from_run is not None:
        args.from_run = run_argument(args, args.from_run)
    progress = Progress(sys.stderr if args.json else sys.stdout)
    session = Session(progress)
    config = _continued(session, args) if args.from_run else config_from(args)
    if args.show_config:
        return show_config(config, args.json)
    refused = too_big(config)
    if refused:
        raise UsageError(refused[1])
    log = scalar_log(args)
    try:
        out = reserve_run_dir(args.out) if args.out else args.from_run or fresh_run_dir(runs_folder(args), config)
    except RunError as error:
        raise UsageError(str(error)) from None
    if log is not None:
        session.watcher = log
        log.run_dir, log.continues = Path(out), args.from_run is not None  # --from goes on in its curves
    session.begin(config, until_exact=args.until_exact)
    run = HeadlessRun(session, Path(out), lambda line: print(f"tui-lstm: {line}", file=sys.stderr))
    progress.on_closed = run.on_output_closed
    try:
        status = run.run()
    finally:
        if log is not None:
            log.close()
    if run.saved is not None:
        if args.json:
            figures = {"preset": config.preset, "seed": config.seed, **summary_figures(run.saved), "run_dir": str(out)}
            print_json({**figures, "config": json.loads(run.saved.config.to_json())})
        elif run.signal is None:
            print(f"saved to {out}")
    return status


def _continued(session, args) -> TrainConfig:
    """The config that continues the saved run ``--from``: its own, with the epochs, the
    learning rate or checkpoint_every given on the command line. Other changes would
    make another model, which is refused, as is a run with no epochs left."""
    from tui_lstm.runs import RunError

    if args.out is None and args.from_run.is_symlink():  # the save would put a folder where the link is
        raise UsageError(f"{args.from_run}: a symbolic link; name the run folder itself")
    try:
        saved = session.open(args.from_run)
    except RunError as error:
        raise UsageError(str(error)) from None
    may_change = ("epochs", "lr", "checkpoint_every")
    changes = {name: getattr(args, name) for name in may_change if getattr(args, name) is not None}
    others = [
        f.name for f in fields(TrainConfig) if f.name not in may_change and getattr(args, f.name, None) is not None
    ]
    if others:
        flag = "--" + others[0].replace("_", "-")
        raise UsageError(f"{flag}: --from continues the saved run's own model; only --epochs, --lr change")
    config = saved.config.replace(**changes)
    if not session.continues(config):
        done = len(saved.record.history)
        trained = f"{done} epoch{'s' * (done != 1)}"
        raise UsageError(f"{args.from_run} has trained {trained} already; give --epochs more than {done}")
    return config


def _open_run(run_dir: Path):
    from tui_lstm.runs import RunError, load_run

    try:
        return load_run(run_dir)
    except RunError as error:
        raise UsageError(str(error)) from None


def _operand(text: str) -> int:
    from tui_lstm.task import parse_operand

    try:
        return parse_operand(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _widths_for(config: TrainConfig, bits: int | None, up_to: int | None) -> list[int]:
    """The widths ``eval`` scores: --bits (the model's own by default), then with --up-to
    every power of two above it up to that. Only a bits-layout model takes other widths."""
    from tui_lstm.evaluate import doubling_widths

    start = config.bits if bits is None else bits
    if start < 1:
        raise UsageError(f"--bits must be at least 1, not {start}")
    if up_to is not None and up_to < start:
        raise UsageError(f"--up-to {up_to} is below the width it starts from, {start}")
    widths = [start] if up_to is None else doubling_widths(start, up_to)
    if widths != [config.bits] and config.layout != "bits":
        raise UsageError(
            f"a {config.layout}-layout model adds {config.bits}-bit numbers only; "
            "only bits-layout models take other widths"
        )
    return widths


def _eval_budget() -> int:
    """The bytes an evaluation may take: EVAL_BUDGET, or what is available if less."""
    from tui_lstm.evaluate import EVAL_BUDGET
    from tui_lstm.resources import available

    room = available()
    return EVAL_BUDGET if room is None else min(EVAL_BUDGET, room)


def _check_room(run, width: int, budget: int) -> None:
    """Refuse a width where not even one pair fits the budget, before anything is scored."""
    from tui_lstm.evaluate import pairs_per_chunk
    from tui_lstm.task import LAYOUT

    try:
        pairs_per_chunk(run.backend.numpy_network(), LAYOUT[run.config.layout], width, budget)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _pair(run, a: int, b: int):
    """The pair a + b as the run's model takes it; refused in one line where it cannot, or
    where the pair would not fit the budget."""
    from tui_lstm.task import pair_for

    try:
        pairs = pair_for(a, b, run.config.bits, run.config.layout)
    except ValueError as error:
        raise UsageError(str(error)) from None
    _check_room(run, pairs.width, _eval_budget())
    return pairs


def cmd_eval(args) -> int:
    from tui_lstm.carry_chains import at_width
    from tui_lstm.evaluate import score_width

    run = _open_run(run_argument(args, args.run_dir))
    widths = _widths_for(run.config, args.bits, args.up_to)
    if args.samples is not None and not 1 <= args.samples <= 10_000_000:
        raise UsageError(f"--samples must be between 1 and 10000000, not {args.samples}")
    budget = _eval_budget()
    _check_room(run, widths[-1], budget)
    figures = []
    for width in widths:  # random pairs from the run's own seed: the same figures every time
        scores, every = score_width(run.backend, run.config, width, args.samples, budget)
        chains = at_width(run.backend, run.config, width, args.samples)
        figures.append(
            {
                "bits": width,
                "pairs": scores.pairs,
                "all_pairs": every,
                "exact_accuracy": scores.exact_accuracy,
                "bit_accuracy": scores.bit_accuracy,
                "by_chain_length": {"over": chains.over, "groups": chains.rows()},
            }
        )
        if not args.json:
            which = f"all {scores.pairs:,} {width}-bit pairs" if every else f"{scores.pairs:,} random {width}-bit pairs"
            print(f"exact {scores.exact_accuracy:.2%}, bits {scores.bit_accuracy:.2%} over {which}", flush=True)
            print(f"  by carry chain ({chains.over}): {chains.line()}", flush=True)
    if args.json:
        print_json(figures[0] if args.up_to is None else {"widths": figures})
    return 0


def cmd_predict(args) -> int:
    from tui_lstm.evaluate import predicted_bits
    from tui_lstm.presentation import sum_line
    from tui_lstm.task import bits_to_int

    run = _open_run(run_argument(args, args.run_dir))
    pairs = _pair(run, args.a, args.b)
    predicted = bits_to_int(predicted_bits(run.backend, run.config.layout, pairs)[0])
    print(sum_line(run.config.cell, args.a, args.b, predicted))
    return 0


def cmd_gradcheck(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from tui_lstm.nn.gradcheck import BOUND, check_gradients, standard_cases

    table = Table("case", "parameter", "max relative error", "")
    worst = 0.0
    for label, net, loss, x, y in standard_cases((args.cell,)) if args.cell else standard_cases():
        for name, error in check_gradients(net, loss, x, y).items():
            worst = max(worst, error)
            table.add_row(label, name, f"{error:.2e}", "ok" if error <= BOUND else "FAIL")
    console = Console()
    console.print(table)
    console.print(f"worst {worst:.2e}, bound {BOUND:.0e}: {'pass' if worst <= BOUND else 'FAIL'}")
    return 0 if worst <= BOUND else 1


def cmd_inspect(args) -> int:
    from rich.console import Console

    from tui_lstm.inspection import NoBitSteps, check_bits_layout, find_carry_unit, inspect_sum
    from tui_lstm.inspection_table import StepTable

    run = _open_run(run_argument(args, args.run_dir))
    network = run.backend.numpy_network()
    try:
        check_bits_layout(run.config)
    except NoBitSteps as error:
        raise UsageError(str(error)) from None
    _pair(run, args.a, args.b)  # refused in one line here, not deep in inspect_sum
    seen = inspect_sum(network, run.config, args.a, args.b)
    carry = find_carry_unit(network, run.config)
    if args.json:
        print_json({**seen.to_dict(), "carry_unit": carry.to_dict()})
    else:
        Console().print(StepTable(seen, carry))
    return 0


FLOW_LAGS = (1, 4, 16, 32, 64)  # the lags the gradients table shows


def cmd_gradients(args) -> int:
    from tui_lstm.nn.flow import PROBE_SEED, PROBE_SUMS, PROBE_WIDTH, check_bits_layout

    given = run_argument(args, args.run_dir)
    run = _open_run(given)
    try:
        check_bits_layout(run.config.layout)
    except ValueError as error:
        raise UsageError(str(error)) from None
    rows = run.record.flow
    if not rows:
        raise UsageError(f"{given}: no gradient flow recorded (saved before tui-lstm recorded it)")
    if args.json:
        probe = {"sums": PROBE_SUMS, "width": PROBE_WIDTH, "seed": PROBE_SEED}
        print_json({"probe": probe, "epochs": [{"epoch": row.epoch, **row.flow.to_dict()} for row in rows]})
        return 0
    first = rows[0].flow
    print(f"norm at lag k / at lag 0 over {PROBE_SUMS} {PROBE_WIDTH}-bit sums; gates: share saturated")
    lags = [f"{state}{k}" for state in first.norms for k in FLOW_LAGS]
    print(" ".join([f"{'epoch':>5}", *(f"{lag:>7}" for lag in lags), *(f"{gate:>4}" for gate in first.saturation)]))
    for row in rows:
        norms = [f"{row.flow.relative(state)[k]:7.1e}" for state in row.flow.norms for k in FLOW_LAGS]
        gates = [f"{share:4.0%}" for share in row.flow.saturation.values()]
        print(" ".join([f"{row.epoch:>5}", *norms, *gates]))
    return 0


def cmd_sweep(args) -> int:
    from tui_lstm.runs import RunError
    from tui_lstm.sweep.command import plan_from, run_sweep
    from tui_lstm.sweep.plan import PlanError

    try:
        if args.resume:
            given = [f"--{name.replace('_', '-')}" for name in overrides_from(args)]
            given += ["--grid"] * bool(args.grid) + ["--preset"] * bool(args.preset)
            if given:
                raise UsageError(f"{given[0]}: --resume finishes the sweep as it was planned; drop it")
            plan = None
        else:
            plan = plan_from(args.preset or "fast", overrides_from(args), args.grid, args.seeds, args.until_exact)
        return run_sweep(args, plan, runs_folder(args))
    except (PlanError, RunError) as error:  # a cluster's refusal is a PlanError too
        raise UsageError(str(error)) from None


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def cmd_serve(args) -> int:
    from tui_lstm.serve.server import ServeError, console_flags, serve

    config_from(args)  # bad settings: one line now, not in every tab
    token, given_in = (args.token, "--token") if args.token is not None else (os.environ.get(TOKEN_ENV), TOKEN_ENV)
    if token is not None and (refused := token_refusal(token, given_in)):
        raise UsageError(refused)
    flags = console_flags(args.preset, overrides_from(args))
    if getattr(args, "runs_dir", None) is not None:
        flags += ["--runs-dir", str(args.runs_dir)]
    if args.ascii:
        flags.append("--ascii")
    if args.tensorboard is not None:
        scalar_log(args).close()  # a DIR that cannot be written: one line now, not in every tab
        flags += ["--tensorboard", str(args.tensorboard)]
    try:
        return serve(flags, host=args.host, port=args.port, token=token, public_url=args.public_url)
    except ServeError as error:
        raise UsageError(str(error)) from None


def cmd_runs(args) -> int:
    from tui_lstm.catalog import runs_command

    return runs_command(args.folder or runs_folder(args), args.json)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def cmd_study(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from tui_lstm.runs import RunError
    from tui_lstm.study import sample_size_rows
    from tui_lstm.sweep.command import default_folder, execute, plan_from
    from tui_lstm.sweep.plan import PlanError

    grid = [f"samples={','.join(str(size) for size in args.sizes)}"]
    try:
        plan = plan_from(args.preset or "fast", overrides_from(args), grid, str(args.seeds), False)
        folder, rows, status = execute(plan, default_folder(runs_folder(args), plan, "study"), workers=args.workers)
    except (PlanError, RunError) as error:
        raise UsageError(str(error)) from None
    table_rows = sample_size_rows(plan, rows)
    config = plan.runs()[0].config
    if args.json:
        keys = ("test_exact_accuracy", "eval_exact_accuracy", "train_seconds")
        rows_json = [
            {
                "samples": row.samples,
                **{key: getattr(row, key) for key in keys},
                "runs": [{"seed": run.seed, **{key: getattr(run, key) for key in keys}} for run in row.runs],
            }
            for row in table_rows
        ]
        config_json = json.loads(config.to_json())
        print_json(
            {
                "study": "samples",
                "sweep": str(folder.path),
                "config": config_json,
                "seeds": list(plan.seeds),
                "rows": rows_json,
            }
        )
        return status
    seeds = f"mean of {len(plan.seeds)} seeds" if len(plan.seeds) > 1 else f"seed {config.seed}"
    table = Table(
        "samples",
        f"exact, {config.test_samples} test rows",
        "exact, all pairs",
        "train time",
        title=f"{config.preset} on {config.backend}, {config.epochs} epochs ({seeds}); runs in {folder.path}",
    )
    for row in table_rows:
        table.add_row(
            f"{row.samples:,}",
            _percent(row.test_exact_accuracy),
            _percent(row.eval_exact_accuracy),
            f"{row.train_seconds:.1f}s",
        )
    Console().print(table)
    return status


COMMANDS = {
    "train": cmd_train,
    "eval": cmd_eval,
    "predict": cmd_predict,
    "gradcheck": cmd_gradcheck,
    "study": cmd_study,
    "sweep": cmd_sweep,
    "runs": cmd_runs,
    "inspect": cmd_inspect,
    "serve": cmd_serve,
    "gradients": cmd_gradients,
}


def refuse_ignored_flags(args: argparse.Namespace) -> None:
    """The top level's --ascii and --tensorboard, before a command that would not use them:
    refused in one line rather than silently dropped."""
    shown_only = getattr(args, "show_config", False)
    console = args.command is None or (args.command == "train" and not args.headless and not shown_only)
    command = args.command if args.command != "train" else f"train {'--show-config' if shown_only else '--headless'}"
    if args.ascii and not (console or args.command == "serve"):
        raise UsageError(f"--ascii is for the console (tui-lstm, train, serve): tui-lstm {command} draws no charts")
    trains = console or args.command == "serve" or (args.command == "train" and not shown_only)
    if args.tensorboard is not None and not trains:
        raise UsageError(
            f"--tensorboard DIR is for training (tui-lstm, train, serve): tui-lstm {command} trains nothing"
        )


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return run_command(argv)
        finally:
            if sys.stdout is not None:  # None: started with it closed (>&-)
                sys.stdout.flush()  # here, not at exit: a reader that has gone is met below
    except BrokenPipeError:
        # Standard output's reader has gone (`| head -1`): end quietly, as a shell's writers
        # do (a headless run is saved first). Output still buffered goes nowhere.
        from tui_lstm.headless_run import EXIT_OUTPUT_CLOSED

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OUTPUT_CLOSED


def run_command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        refuse_ignored_flags(args)
        if args.command is None:
            return open_console(args)
        return COMMANDS[args.command](args)
    except UsageError as error:
        print(f"tui-lstm: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # train --headless stops and saves on its own; the rest just end
        print("tui-lstm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

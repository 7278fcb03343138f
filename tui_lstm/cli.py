"""The ``tui-lstm`` command: the console by default, and headless subcommands for scripts.

Every bad input ends the same way: one line on stderr, exit status 2, nothing written.
The console (and so textual) is imported only when it is opened.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from tui_lstm.config import FIELD, PRESETS, ConfigError, TrainConfig, parse_value, preset
from tui_lstm.nn.cells import CELLS

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl+C


class UsageError(Exception):
    """Bad input found after parsing: reported as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


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
    parser.add_argument("--preset", help=f"one of: {', '.join(PRESETS)} (default: fast)")
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


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="tui-lstm", description="Watch recurrent networks learn to add binary numbers.")
    add_config_flags(parser)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    train = sub.add_parser("train", help="train a model (in the console, or --headless)")
    add_config_flags(train)
    train.add_argument("--headless", action="store_true", help="no console: progress lines, then a summary")
    train.add_argument("--out", type=Path, help="run folder to write (default: runs/<preset>-seed<seed>)")
    train.add_argument(
        "--from", dest="from_run", type=Path, help="continue a saved (or checkpointed) run, in its folder unless --out"
    )
    train.add_argument("--until-exact", action="store_true", help="stop once every pair is exactly right")
    train.add_argument("--json", action="store_true", help="end with one JSON object (progress goes to stderr)")

    evaluate = sub.add_parser(
        "eval",
        help="exact accuracy of a saved run",
        description="Exact and bit accuracy of a saved run, at its own width or, for a bits-layout model, "
        "at any other: e.g. --up-to 4096 scores its width, then 8, 16, ..., 4096 bits.",
    )
    evaluate.add_argument("run_dir", type=Path)
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

    predict = sub.add_parser("predict", help="add two numbers with a saved run")
    predict.add_argument("run_dir", type=Path)
    predict.add_argument("a", type=_operand, help="any width for a bits-layout model")
    predict.add_argument("b", type=_operand)

    gradcheck = sub.add_parser("gradcheck", help="check every gradient against finite differences")
    gradcheck.add_argument("--cell", choices=tuple(CELLS))

    inspect = sub.add_parser("inspect", help="gates, states and the carry, bit by bit, for one sum")
    inspect.add_argument("run_dir", type=Path)
    inspect.add_argument("a", type=_operand, help="any width")
    inspect.add_argument("b", type=_operand)
    inspect.add_argument("--json", action="store_true", help="per-step gates and states, and the carry unit")

    sweep = sub.add_parser("sweep", help="many runs over a grid of settings and seeds, here or on a Dask cluster")
    add_config_flags(sweep)
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
    sweep.add_argument("--out", type=Path, help="the sweep's folder (default: runs/sweep-<preset>-<axes>)")
    sweep.add_argument("--resume", action="store_true", help="run only what the sweep in --out has not finished")
    sweep.add_argument("--dry-run", action="store_true", help="list the runs with time and memory estimates")
    sweep.add_argument("--workers", type=int, help="runs at once on this machine (default: its cores)")
    sweep.add_argument("--cluster", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://scheduler:8786")
    sweep.add_argument("--json", action="store_true", help="end with one JSON object instead of the table")

    runs = sub.add_parser("runs", help="the saved runs and sweeps under a runs folder, as a table")
    runs.add_argument("runs_dir", type=Path, nargs="?", default=Path("runs"), help="(default: runs)")
    runs.add_argument("--json", action="store_true", help="one JSON object instead of the table")

    study = sub.add_parser("study", help="the lab report's studies, for either backend")
    studies = study.add_subparsers(dest="study", required=True, parser_class=Parser)
    samples = studies.add_parser("samples", help="accuracy against training-set size (the report's section 4)")
    add_config_flags(samples)
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


def run_console(config: TrainConfig, start: bool = False) -> int:
    from tui_lstm.tui.app import run

    return run(config, start_training=start)


def cmd_train(args) -> int:
    from tui_lstm.headless import Progress
    from tui_lstm.headless_run import HeadlessRun
    from tui_lstm.resources import too_big
    from tui_lstm.runs import RunError, fresh_run_dir, reserve_run_dir, summary_figures
    from tui_lstm.session import Session

    if not args.headless:
        for flag, given in (("--out", args.out), ("--from", args.from_run)):
            if given is not None:
                raise UsageError(f"{flag} is for headless runs (add --headless); the console saves with ctrl+s")
        return run_console(config_from(args), start=True)
    session = Session(Progress(sys.stderr if args.json else sys.stdout))
    config = _continued(session, args) if args.from_run else config_from(args)
    refused = too_big(config)
    if refused:
        raise UsageError(refused[1])
    try:
        out = reserve_run_dir(args.out) if args.out else args.from_run or fresh_run_dir(Path("runs"), config)
    except RunError as error:
        raise UsageError(str(error)) from None
    session.begin(config, until_exact=args.until_exact)
    run = HeadlessRun(session, Path(out), lambda line: print(f"tui-lstm: {line}", file=sys.stderr))
    status = run.run()
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
        raise UsageError(f"{args.from_run} has trained all its {config.epochs} epochs; give --epochs more")
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
    from tui_lstm.evaluate import score_width

    run = _open_run(args.run_dir)
    widths = _widths_for(run.config, args.bits, args.up_to)
    if args.samples is not None and not 1 <= args.samples <= 10_000_000:
        raise UsageError(f"--samples must be between 1 and 10000000, not {args.samples}")
    budget = _eval_budget()
    _check_room(run, widths[-1], budget)
    figures = []
    for width in widths:  # random pairs from the run's own seed: the same figures every time
        scores, every = score_width(run.backend, run.config, width, args.samples, budget)
        figures.append(
            {
                "bits": width,
                "pairs": scores.pairs,
                "all_pairs": every,
                "exact_accuracy": scores.exact_accuracy,
                "bit_accuracy": scores.bit_accuracy,
            }
        )
        if not args.json:
            which = f"all {scores.pairs:,} {width}-bit pairs" if every else f"{scores.pairs:,} random {width}-bit pairs"
            print(f"exact {scores.exact_accuracy:.2%}, bits {scores.bit_accuracy:.2%} over {which}", flush=True)
    if args.json:
        print_json(figures[0] if args.up_to is None else {"widths": figures})
    return 0


def cmd_predict(args) -> int:
    from tui_lstm.evaluate import predicted_bits
    from tui_lstm.presentation import sum_line
    from tui_lstm.task import bits_to_int

    run = _open_run(args.run_dir)
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

    run = _open_run(args.run_dir)
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
        return run_sweep(args, plan, Path("runs"))
    except (PlanError, RunError) as error:  # a cluster's refusal is a PlanError too
        raise UsageError(str(error)) from None


def cmd_runs(args) -> int:
    from tui_lstm.catalog import runs_command

    return runs_command(args.runs_dir, args.json)


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
        folder, rows, status = execute(plan, default_folder(Path("runs"), plan, "study"), workers=args.workers)
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
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return run_console(config_from(args))
        return COMMANDS[args.command](args)
    except UsageError as error:
        print(f"tui-lstm: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # train --headless stops and saves on its own; the rest just end
        print("tui-lstm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

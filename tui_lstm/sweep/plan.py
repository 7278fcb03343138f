"""A sweep's plan: its grid and seeds, and every run it makes, named and validated.

Every config is built before the first run starts, so a bad value anywhere in the grid
is one line and nothing runs. A run's folder name comes from its grid values and seed
alone (``cell-gru_hidden-16_seed-3``), so the same sweep gives the same names wherever
it runs and a resumed sweep finds its runs again; a name longer than a folder name
should be ends in a short hash of the whole.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import asdict, dataclass, field, fields

from tui_lstm.config import FIELD, PRESETS, ConfigError, TrainConfig, check_value, parse_value, preset
from tui_lstm.runs import NAME_LENGTH, safe_name

MAX_RUNS = 10_000  # a typo like --seeds 1000000 is refused rather than planned
HASH_LENGTH = 8
NOT_AXES = {"seed": "give seeds with --seeds"}


class PlanError(ValueError):
    """A grid, seed list or combination that cannot be run: one line for the user."""


def parse_axis(text: str) -> tuple[str, tuple]:
    """``field=v1,v2,...`` as (field, values), each value checked as its flag checks it."""
    name, equals, values_text = text.partition("=")
    name = name.strip().replace("-", "_")
    if not equals:
        raise PlanError(f"--grid {text!r}: write it as field=value,value,...")
    if name not in FIELD:
        raise PlanError(f"--grid {text!r}: no setting named {name!r}")
    if name in NOT_AXES:
        raise PlanError(f"--grid {text!r}: {name} is not a grid axis; {NOT_AXES[name]}")
    parts = [part for part in values_text.split(",") if part.strip()]
    if not parts:
        raise PlanError(f"--grid {text!r}: no values")
    if name == "preset":
        unknown = [part.strip() for part in parts if part.strip() not in PRESETS]
        if unknown:
            raise PlanError(f"--grid {text!r}: unknown preset {unknown[0]!r}; choose from {', '.join(PRESETS)}")
        values = tuple(part.strip() for part in parts)
    else:
        try:
            values = tuple(parse_value(name, part) for part in parts)
        except ConfigError as error:
            raise PlanError(f"--grid {text!r}: {error}") from None
    repeated = [value for value, count in _counts(values).items() if count > 1]
    if repeated:
        raise PlanError(f"--grid {text!r}: {repeated[0]!r} is given twice")
    return name, values


def _counts(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def parse_seeds(text: str, base: int) -> tuple[int, ...]:
    """``N`` (N seeds from ``base``: base, base + 1, ...) or a list ``3,7,11``."""
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise PlanError(f"--seeds {text!r}: give a count (5) or seeds (3,7,11)") from None
    if "," not in text and numbers:
        if not 1 <= numbers[0] <= MAX_RUNS:
            raise PlanError(f"--seeds must be between 1 and {MAX_RUNS:,}, not {numbers[0]}")
        seeds = tuple(range(base, base + numbers[0]))
    else:
        seeds = tuple(numbers)
    if not seeds:
        raise PlanError(f"--seeds {text!r}: no seeds")
    for seed in seeds:
        problem = check_value("seed", seed)
        if problem:
            raise PlanError(f"--seeds {text!r}: {problem}")
    if len(set(seeds)) != len(seeds):
        raise PlanError(f"--seeds {text!r}: a seed is given twice")
    return seeds


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def run_name(point: dict, seed: int) -> str:
    """The folder name of the run at grid ``point`` with ``seed``: the same everywhere."""
    whole = "_".join([*(f"{name}-{safe_name(_shown(value))}" for name, value in point.items()), f"seed-{seed}"])
    if len(whole) <= NAME_LENGTH:
        return whole
    digest = hashlib.sha256(whole.encode()).hexdigest()[:HASH_LENGTH]
    return f"{whole[: NAME_LENGTH - HASH_LENGTH - 1].rstrip('_-.')}-{digest}"


@dataclass(frozen=True)
class PlannedRun:
    name: str
    point: dict  # grid field -> this run's value
    seed: int
    config: TrainConfig


@dataclass(frozen=True)
class SweepPlan:
    """What sweep.json holds: the preset and the flags given, the grid and the seeds, and
    the base config they made when the sweep was planned."""

    preset: str
    overrides: dict  # the settings given as flags, over the preset's
    grid: dict  # field -> tuple of values, in the order given
    seeds: tuple[int, ...]
    until_exact: bool = False
    # A resumed sweep's bases as sweep.json stored them, by preset (its own, and each other
    # one on a preset axis): its runs are built from them, so they are the runs planned,
    # whatever the presets say today (fast's epochs changed once).
    planned_bases: dict | None = field(default=None, compare=False)

    def base(self, name: str | None = None) -> dict:
        """Every setting before the grid's, starting from preset ``name`` (the sweep's own
        by default): the preset's, with the flags given (or as planned, resuming). Not
        checked as a config: a grid axis may be what makes it valid (--backend keras with
        a grid over state_noise)."""
        name = name or self.preset
        if self.planned_bases is not None and name in self.planned_bases:
            return dict(self.planned_bases[name])
        defaults = {f.name: f.default for f in fields(TrainConfig)}
        return {**defaults, **PRESETS[name], "preset": name, **self.overrides}

    def runs(self) -> list[PlannedRun]:
        """Every run, grid points in order (the last axis fastest), each point's seeds together."""
        axes = list(self.grid)
        count = len(self.seeds)
        for values in self.grid.values():
            count *= len(values)
        if count > MAX_RUNS:
            raise PlanError(f"the sweep would make {count:,} runs; at most {MAX_RUNS:,}")
        planned, names = [], {}
        for values in itertools.product(*self.grid.values()):
            point = dict(zip(axes, values))
            for seed in self.seeds:
                run = PlannedRun(run_name(point, seed), point, seed, self._config(point, seed))
                if run.name in names:  # values that differ in digits a name does not show
                    raise PlanError(f"{names[run.name]} and {point} would share the folder {run.name}")
                names[run.name] = point
                planned.append(run)
        return planned

    def _config(self, point: dict, seed: int) -> TrainConfig:
        changes = {name: value for name, value in point.items() if name != "preset"}
        start = point.get("preset", self.preset)
        try:
            if self.planned_bases is not None and start in self.planned_bases:
                return TrainConfig.from_dict({**self.planned_bases[start], **changes, "seed": seed})
            return preset(start, **{**self.overrides, **changes, "seed": seed})
        except ConfigError as error:
            where = ", ".join(f"{name}={_shown(value)}" for name, value in point.items()) or "the base config"
            raise PlanError(f"{where}: {error}") from None

    def to_dict(self) -> dict:
        return {
            "preset": self.preset,
            "overrides": self.overrides,
            "base": self.base(),
            "bases": {name: self.base(name) for name in self.grid.get("preset", ()) if name != self.preset},
            "grid": {name: list(values) for name, values in self.grid.items()},
            "seeds": list(self.seeds),
            "until_exact": self.until_exact,
        }

    @classmethod
    def from_dict(cls, data: dict, planned_bases: dict | None = None) -> SweepPlan:
        """The plan of a sweep.json, every value checked again; PlanError for anything else.
        ``planned_bases``: the bases it stored, by preset, which its runs are then built from."""
        try:
            grid = {str(name): tuple(values) for name, values in data["grid"].items()}
            seeds = tuple(data["seeds"])
            until_exact = data["until_exact"] is True
            plan = cls(str(data["preset"]), dict(data["overrides"]), grid, seeds, until_exact, planned_bases)
            if not all(isinstance(seed, int) for seed in seeds) or len(set(seeds)) != len(seeds) or not seeds:
                raise ValueError("seeds must be distinct integers")
            if any(name not in FIELD or name in NOT_AXES or not values for name, values in grid.items()):
                raise ValueError("a grid axis is no setting, or has no values")
            for run in plan.runs():  # every value of every config, its type too
                TrainConfig.from_dict(asdict(run.config))
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise PlanError(f"not a sweep plan ({error})") from None
        return plan

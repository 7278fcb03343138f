"""Will a run fit in memory? An estimate from the config alone, made before anything is built.

A setting the fields accept can still ask for more memory than the machine has (ten
million 64-bit pairs, a batch of a million sums through 4,096 units); building it would
end in a MemoryError, or the kernel killing the process, after seconds of swapping. So
the command line and the console refuse such a run up front, in one line naming the
setting, as they refuse any other bad value.

What is counted, for the NumPy engine (float64 data, float32 network):
- the training set: inputs (T, N, D) and targets, and the epoch's outputs (N, K);
- the state noise of an epoch (T, N, H), where the run has any;
- one batch through the cell, forward and backward: about (3G + 8) arrays of (T, B, H),
  G being the cell's gate blocks (its cache, the gate gradients and their temporaries);
- the test set and the evaluation pairs, and the evaluation's forward pass (run in
  chunks of about EVAL_FLOATS floats);
- the model: its float32 parameters six times over (weights, gradients, Adam's two
  moments, the snapshot kept against divergence, and a spare for temporaries).
A batch and the evaluation never coexist, so only the larger counts (``peak``). It errs
high rather than low: against tracemalloc's peak for small configs it is 0.9 to 2 times
the measured figure (tests/test_resources.py), close for the LSTM and the big parts,
generous for the GRU's batch. The memory available is the cgroup's limit where
there is one, else MemAvailable.
"""

from __future__ import annotations

from pathlib import Path

from tui_lstm.config import TrainConfig
from tui_lstm.evaluate import RANDOM_EVAL_PAIRS
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.network import EVAL_FLOATS
from tui_lstm.task import EXHAUSTIVE_MAX_WIDTH, LAYOUT

FLOAT64, FLOAT32 = 8, 4


def estimate(config: TrainConfig) -> dict[str, int]:
    """Bytes a run of ``config`` holds at its peak, by the setting that drives each part."""
    layout = LAYOUT[config.layout]
    T, D, H = layout.steps(config.bits), layout.input_size(config.bits), config.hidden
    K = layout.output_size(config.bits) * (T if layout.per_step_output else 1)
    N, B = config.samples, min(config.batch_size, config.samples)
    noise = T * N * H * FLOAT32 if config.state_noise or config.noise_rise else 0
    blocks = CELLS[config.cell].n_blocks
    evaluated = 4**config.bits if config.bits <= EXHAUSTIVE_MAX_WIDTH else RANDOM_EVAL_PAIRS
    parameters = (D + H) * blocks * H + blocks * H + H * (K // T if layout.per_step_output else K) + K
    return {
        "hidden": 6 * parameters * FLOAT32,
        "samples": N * (T * D + 2 * K) * FLOAT64 + noise,
        "batch_size": (3 * blocks + 8) * T * B * H * FLOAT32 + B * K * FLOAT64,
        "test_samples": config.test_samples * (T * D + 2 * K) * FLOAT64,
        "bits": evaluated * T * (D + 2) * FLOAT64 + 2 * EVAL_FLOATS * FLOAT32,
    }


def peak(parts: dict[str, int]) -> int:
    """The bytes held at once: every part, but a training batch's arrays and the
    evaluation's forward pass never at the same time (the batch is freed when its epoch
    ends, before the pairs are scored), so only the larger of those two counts."""
    return sum(parts.values()) - min(parts["batch_size"], parts["bits"])


def available() -> int | None:
    """Bytes this process may still use: the cgroup's limit, or MemAvailable; None if unknown."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),  # v1
    ):
        try:
            limit = Path(limit_file).read_text().strip()
            if limit != "max" and int(limit) < 2**60:  # v1 writes "no limit" as a huge number
                return max(int(limit) - int(Path(usage_file).read_text()), 0)
        except (OSError, ValueError):
            pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def too_big(config: TrainConfig, room: int | None = None) -> tuple[str, str] | None:
    """(field, one line) if a run of ``config`` would not fit, naming its largest part;
    else None. ``room``: the bytes available (default: as ``available()`` finds them)."""
    room = available() if room is None else room
    parts = estimate(config)
    total = peak(parts)
    if room is None or total <= room:
        return None
    name = max(parts, key=parts.get)
    return (
        name,
        f"{_setting(config, name)} at {config.bits} bits needs about {_size(total)}; {_size(room)} is available",
    )


def _setting(config: TrainConfig, name: str) -> str:
    """The flags behind a part: a batch is as large as its sums times the units."""
    if name == "batch_size":
        batch = min(config.batch_size, config.samples)
        return f"--batch-size {batch:,} with --hidden {config.hidden:,}"
    return f"--{name.replace('_', '-')} {getattr(config, name):,}"


def _size(n: int) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e3:.0f} KB"

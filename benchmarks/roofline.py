"""How close the NumPy engine trains to this machine's float32 matmul peak.

    python benchmarks/roofline.py [--epochs 3] [--rounds 3]

First the peak: a 128 x 264 @ 264 x 1024 float32 product (a `report` batch's shape) on
one BLAS thread, best of many. Then `report` and `fast` train whole epochs (`fit_epoch`
only: no scoring) on one BLAS thread, and their achieved GFLOP/s is the matmul work of
their batches, counted as below, over the time. Peak and presets alternate for
``--rounds`` rounds, so a machine that gets busier or quieter meets them alike; the
figures are medians.

The count, for B sums of T steps, input width D, H units and G*H gate columns (G = 4
for an LSTM), is the work a batch cannot avoid:

    forward   2*T*B*D*GH  (input projection)  + 2*(T-1)*B*H*GH  (recurrent products;
                                                the first step's state is zero)
    backward  2*(T-1)*B*H*GH  (recurrent weight gradient)
              + 2*(T-1)*B*GH*H  (state gradient; none into the zero initial state)
              + 2*T*B*D*GH  (input weight gradient; none into the inputs)

The dense read-out is left out, as it is small. For `report` (T = 2, D = 8, H = 256,
G = 4, B = 128) that is 210 MFLOP a batch.

Target (issue 13): `report` at 40% or more of the peak.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from tui_lstm.config import TrainConfig, preset
from tui_lstm.control import Control
from tui_lstm.nn.cells import CELLS
from tui_lstm.task import LAYOUT, Dataset, random_pairs

PEAK_SHAPE = (128, 264, 1024)


def peak_gflops(repeats: int = 200) -> float:
    m, k, n = PEAK_SHAPE
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeats // 5):
            np.matmul(a, b, out=out)
        best = min(best, (time.perf_counter() - started) / (repeats // 5))
    return 2 * m * k * n / best / 1e9


def batch_flops(config: TrainConfig, batch: int) -> float:
    """The matmul work of one batch of ``batch`` sums, by the count in the docstring."""
    layout = LAYOUT[config.layout]
    T, D, H = layout.steps(config.bits), layout.input_size(config.bits), config.hidden
    GH = CELLS[config.cell].n_blocks * H
    forward = 2 * T * batch * D * GH + 2 * (T - 1) * batch * H * GH
    backward = 2 * (T - 1) * batch * H * GH + 2 * (T - 1) * batch * GH * H + 2 * T * batch * D * GH
    return forward + backward


def epoch_flops(config: TrainConfig) -> float:
    full, last = divmod(config.samples, config.batch_size)
    return full * batch_flops(config, config.batch_size) + (batch_flops(config, last) if last else 0)


def training_gflops(name: str, epochs: int) -> tuple[float, float]:
    """(seconds an epoch, GFLOP/s) of ``name``'s training, median over ``epochs`` epochs."""
    from tui_lstm.backends import make_backend

    config = preset(name)
    backend = make_backend(config)
    data = Dataset.of(LAYOUT[config.layout], random_pairs(np.random.default_rng(0), config.samples, config.bits))
    order, control = np.arange(config.samples), Control(config.lr)
    backend.fit_epoch(1, data, order, config.batch_size, control, lambda step, loss: None)  # warm
    seconds = []
    for epoch in range(2, epochs + 2):
        started = time.perf_counter()
        backend.fit_epoch(epoch, data, order, config.batch_size, control, lambda step, loss: None)
        seconds.append(time.perf_counter() - started)
    epoch_seconds = statistics.median(seconds)
    return epoch_seconds, epoch_flops(config) / epoch_seconds / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per preset per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--presets", default="report,fast")
    args = parser.parse_args()
    names = args.presets.split(",")
    peaks, runs = [], {name: [] for name in names}
    with threadpool_limits(limits=1):
        for _ in range(args.rounds):
            peaks.append(peak_gflops())
            for name in names:
                runs[name].append(training_gflops(name, args.epochs))
    peak = statistics.median(peaks)
    print(f"float32 matmul peak, one thread, {'x'.join(map(str, PEAK_SHAPE))}: {peak:.1f} GFLOP/s")
    print(f"  (rounds: {', '.join(f'{p:.1f}' for p in peaks)})")
    print(f"{'preset':<10} {'MFLOP/batch':>12} {'epoch s':>9} {'GFLOP/s':>9} {'of peak':>8}")
    for name in names:
        config = preset(name)
        seconds = statistics.median(s for s, _ in runs[name])
        gflops = statistics.median(g for _, g in runs[name])
        mflop = batch_flops(config, config.batch_size) / 1e6
        print(f"{name:<10} {mflop:>12.1f} {seconds:>9.3f} {gflops:>9.1f} {gflops / peak:>8.1%}")


if __name__ == "__main__":
    main()

"""Sums far longer than any seen in training: `fast`'s mistakes on random 4,096-bit pairs, by seed.

A `fast` model is trained on 7-bit sums (8 steps) and asked for 4,096-bit ones (4,097
steps). Side by side, over the same seeds: the preset as it is, and the preset with
its learning rate held to the end (`lr_anneal_from` 0, as `fast` was before format 3). For
each run, the mistakes (sums not exactly right) out of N random pairs of each width,
drawn from the run's seed as `tui-lstm eval RUN --bits 4096 --samples N` draws them.

    python benchmarks/long_sums.py [--seeds 10] [--pairs 10000] [--widths 4096]

Target (issue 13): no mistake out of 10,000 random 4,096-bit pairs in at least 9 of 10 seeds.
"""

from __future__ import annotations

import argparse
import time

from tui_lstm.config import preset
from tui_lstm.evaluate import score_random_pairs
from tui_lstm.seeding import EVAL, rng_for
from tui_lstm.training import Trainer

VARIANTS = {"fast": {}, "fast, lr held to the end": {"lr_anneal_from": 0}}


def mistakes(overrides: dict, seed: int, widths: list[int], pairs: int) -> list[int]:
    trainer = Trainer(preset("fast", seed=seed, **overrides))
    trainer.run()
    wrong = []
    for width in widths:
        scores = score_random_pairs(trainer.backend, "bits", width, pairs, rng_for(seed, EVAL))
        wrong.append(round((1 - scores.exact_accuracy) * pairs))
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--widths", default="4096", help="comma-separated operand widths")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    header = " ".join(f"{f'{w:,}-bit':>10}" for w in widths)
    print(f"mistakes out of {args.pairs:,} random pairs a width\n")
    print(f"{'variant':30} {'seed':>4} {header} {'s':>6}")
    perfect = {name: 0 for name in VARIANTS}
    for seed in range(args.seeds):  # the variants interleaved, seed by seed
        for name, overrides in VARIANTS.items():
            start = time.perf_counter()
            wrong = mistakes(overrides, seed, widths, args.pairs)
            perfect[name] += all(w == 0 for w in wrong)
            cells = " ".join(f"{w:>10,}" for w in wrong)
            print(f"{name:30} {seed:>4} {cells} {time.perf_counter() - start:>6.1f}", flush=True)
    print()
    for name, count in perfect.items():
        print(f"{name}: no mistake at any width in {count}/{args.seeds} seeds (target >= 9 of 10)")


if __name__ == "__main__":
    main()

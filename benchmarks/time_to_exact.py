"""How long each preset trains before every one of the 16,384 7-bit pairs is exactly right.

Side by side: the `fast` preset and the `iamtrask-rnn` preset (iamtrask's bitwise RNN), on the
same NumPy engine, over the same seeds. Train time counts only the time inside
`fit_epoch`, not the per-epoch scoring of all pairs. Then the `fast` models, unchanged
after their full preset run, are scored on 10,000 random 64-bit pairs.

    python benchmarks/time_to_exact.py [--seeds 5] [--generalization-seeds 10]
"""

from __future__ import annotations

import argparse
import statistics

from tui_lstm.config import preset
from tui_lstm.training import EpochDone, Trainer


def first_exact(
    name: str, seed: int, until_exact: bool = False, **overrides
) -> tuple[float | None, int | None, Trainer]:
    """Train seconds and epoch at which every pair was first exactly right (None: never)."""
    hit: list[tuple[float, int]] = []
    trainer = Trainer(preset(name, seed=seed, **overrides), until_exact=until_exact)

    def on_event(event):
        if isinstance(event, EpochDone) and event.eval_exact_accuracy == 1.0 and not hit:
            hit.append((trainer.summary.train_seconds, event.metrics.epoch))

    trainer.on_event = on_event
    trainer.run()
    return (hit[0] if hit else (None, None)) + (trainer,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--generalization-seeds", type=int, default=10)
    args = parser.parse_args()

    medians = {}
    print(f"{'preset':14} {'seed':>4} {'epochs':>6} {'train s to exact':>17}")
    # fast runs its whole preset (its models are scored below); iamtrask-rnn, given up to
    # 200,000 iterations, stops once every pair is right
    for name, overrides in (("fast", {}), ("iamtrask-rnn", {"epochs": 2000, "until_exact": True})):
        times = []
        for seed in range(args.seeds):
            seconds, epoch, _ = first_exact(name, seed, **overrides)
            times.append(seconds if seconds is not None else float("inf"))
            print(f"{name:14} {seed:>4} {epoch or '-':>6} {seconds if seconds is not None else float('inf'):>17.3f}")
        medians[name] = statistics.median(times)
    ratio = medians["iamtrask-rnn"] / medians["fast"]
    print(
        f"\nmedian train seconds to all 16,384 pairs exact: fast {medians['fast']:.3f}, "
        f"iamtrask-rnn {medians['iamtrask-rnn']:.3f}: fast is {ratio:.1f}x quicker (target >= 10x)"
    )

    print(f"\n{'seed':>4} {'all pairs':>10} {'16-bit':>8} {'32-bit':>8} {'64-bit':>8}  (fast, full preset run)")
    perfect = 0
    for seed in range(args.generalization_seeds):
        _, _, trainer = first_exact("fast", seed)
        s = trainer.summary
        g = s.generalization
        perfect += g[64] == 1.0
        print(f"{seed:>4} {s.eval_exact_accuracy:>10.2%} {g[16]:>8.2%} {g[32]:>8.2%} {g[64]:>8.2%}")
    seeds = args.generalization_seeds
    print(f"fast models exact on all 10,000 random 64-bit pairs: {perfect}/{seeds} seeds (target >= 9)")


if __name__ == "__main__":
    main()

"""How well one unit of a trained `fast` model tracks the carry, over every 7-bit pair.

Issue 5's target: the carry unit's |r| with the true carry is at least 0.95. Side by
side, the `fast` preset as it is (state noise 0.3 rising by 0.02 an epoch to 1.0, 80
epochs) and with the noise held at 0.3 for the same 80 epochs. For each seed:

- the carry unit that `tui-lstm inspect` names (any gate or state, against the carry
  into each bit or out of it; see tui_lstm/inspection.py) and its r;
- the best unit of the states alone against the carry out, the narrower search, which
  shows where a model keeps the carry spread over several units;
- exact accuracy over all 16,384 pairs and over 10,000 random 64-bit pairs, so that a
  sharper carry is not bought with a worse adder.

    python benchmarks/carry_unit.py [--seeds 5]
"""

from __future__ import annotations

import argparse

import numpy as np

from tui_lstm.config import preset
from tui_lstm.inspection import carry_correlations, find_carry_unit
from tui_lstm.training import Trainer

TARGET = 0.95
VARIANTS = {"fast": {}, "noise held": {"noise_rise": 0.0}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'variant':10} {'seed':>4} {'carry unit':>24} {'r':>7} {'states, out':>11} {'all pairs':>9} {'64-bit':>8}")
    for variant, overrides in VARIANTS.items():
        found = []
        for seed in range(args.seeds):
            trainer = Trainer(preset("fast", seed=seed, **overrides))
            summary = trainer.run()
            network, config = trainer.backend.numpy_network(), trainer.config
            carry = find_carry_unit(network, config)
            names, r, _ = carry_correlations(network, config)
            states = [k for k, name in enumerate(names) if name in network.cell.states]
            state_best = np.abs(r[1, states]).max()  # row 1: the carry out
            where = f"{carry.name}{carry.unit} {carry.carry:>3}"
            print(
                f"{variant:10} {seed:>4} {where:>24} {carry.correlation:>+7.3f} {state_best:>11.3f} "
                f"{summary.eval_exact_accuracy:>9.2%} {summary.generalization[64]:>8.2%}"
            )
            found.append(abs(carry.correlation))
        hits = sum(r >= TARGET for r in found)
        print(f"{variant}: |r| >= {TARGET} in {hits}/{args.seeds} seeds, lowest {min(found):.3f}\n")


if __name__ == "__main__":
    main()

"""Independent random streams from one seed, so that the same seed gives the same run.

Each use draws from its own stream (``rng_for(seed, STREAM)``): changing how many
numbers one use draws never shifts another's.
"""

from __future__ import annotations

import numpy as np

INIT, TRAIN, TEST, SHUFFLE, EVAL, NOISE = range(6)


def rng_for(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])

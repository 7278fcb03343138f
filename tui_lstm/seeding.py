"""Independent random streams from one seed, so that the same seed gives the same run.

Each use draws from its own stream (``rng_for(seed, STREAM)``): changing how many
numbers one use draws never shifts another's.
"""

from __future__ import annotations

import json

import numpy as np

INIT, TRAIN, TEST, SHUFFLE, EVAL, NOISE = range(6)


def rng_for(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def rng_state(rng: np.random.Generator) -> np.ndarray:
    """A generator's state as plain bytes (uint8), to save beside a model: its 128-bit
    integers go through JSON, which keeps them exact."""
    return np.frombuffer(json.dumps(rng.bit_generator.state).encode(), dtype=np.uint8)


def set_rng_state(rng: np.random.Generator, state: np.ndarray) -> None:
    """Put back a state saved by ``rng_state``; ValueError if it is not one."""
    try:
        rng.bit_generator.state = json.loads(np.asarray(state, dtype=np.uint8).tobytes())
    except (TypeError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a saved random state ({error})") from None

"""Fixtures several test modules share."""

from __future__ import annotations

from functools import partial

import pytest

from tui_lstm import evaluate, training
from tui_lstm.cli import main


@pytest.fixture(scope="session")
def fast_run(tmp_path_factory):
    """A run folder of the fast preset, seed 0, trained to its end (a few seconds; the
    final test on longer numbers cut to 50 pairs a width). Read it, never write it."""
    out = tmp_path_factory.mktemp("runs") / "fast"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "generalization", partial(evaluate.generalization, n=50))
        assert main(["train", "--headless", "--out", str(out)]) == 0
    return out

"""What the console tests share: a small config, a quick final test, and waiting."""

from __future__ import annotations

import sys
import time
from functools import partial

from rich.console import Console

from tui_lstm import evaluate, training
from tui_lstm.config import TrainConfig


def small(**overrides):
    """A run that trains in well under a second an epoch: 4-bit sums, 8 hidden units.

    Built from the config's defaults, not from a preset, so that a retuned preset does
    not change the snapshots' pictures.
    """
    settings = dict(bits=4, hidden=8, epochs=3, samples=64, batch_size=16, test_samples=20, seed=0)
    return TrainConfig(**{**settings, **overrides})


def quick_final_tests(monkeypatch) -> None:
    """The end-of-run generalization test on 50 pairs a width instead of 10,000."""
    quick = partial(evaluate.generalization, n=50)
    monkeypatch.setattr(training, "generalization", quick)


def screen_text(app) -> str:
    """What the terminal shows now, as plain text."""
    console = Console(width=app.size.width, record=True, no_color=True, file=open("/dev/null", "w"))
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def notices(app) -> str:
    """Every notification the app has shown, a line each."""
    return "\n".join(str(n.message) for n in app._notifications)


def last_notice(app) -> str:
    return str(list(app._notifications)[-1].message)


async def wait_until(pilot, condition, timeout: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition.__doc__ or condition}")
        await pilot.pause(0.05)


async def train_to_end(app, pilot) -> None:
    """Press s, and let the app run until the run has ended."""
    await pilot.press("s")
    await wait_until(pilot, lambda: app.trainer is not None and not app.live)


async def start_and_wait_for_an_epoch(pilot, timeout: float = 30.0) -> None:
    """Press s, and let the app run until the run's first epoch is in its history."""
    app = pilot.app
    await pilot.press("s")
    await wait_until(pilot, lambda: app.trainer is not None and len(app.trainer.history) >= 1, timeout)


def training_threads() -> list[int]:
    """Ids of threads inside Trainer.run right now."""
    return [
        ident
        for ident, frame in sys._current_frames().items()
        if any(f.f_code is training.Trainer.run.__code__ for f in _stack(frame))
    ]


def _stack(frame):
    while frame is not None:
        yield frame
        frame = frame.f_back

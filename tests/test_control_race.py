"""Pauses and stops that meet at an epoch's end: a stop is never lost to a step's pause,
resuming cancels a pending step, and a run paused at an epoch boundary holds the exact
end-of-epoch state (saved there and continued, it matches a run that never paused)."""

from __future__ import annotations

import sys
import threading
import time

from tui_lstm.config import preset
from tui_lstm.control import Control
from tui_lstm.runs import load_run
from tui_lstm.session import RunState, Session

S = RunState


def wait_until(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class StopInsideEndEpoch(threading.Event):
    """A stop signal that forces the race: the first time ``end_epoch`` reads it with a
    step's pause pending, it calls ``stop`` (as the UI thread might just then) and answers
    what it read before, so the stop lands between end_epoch's check and its pause."""

    def __init__(self, stop):
        super().__init__()
        self.stop = stop  # called once, at the moment of the race
        self.armed = True

    def is_set(self) -> bool:
        answer = super().is_set()
        if not answer and self.armed and sys._getframe(1).f_code.co_name == "end_epoch":
            self.armed = False
            self.stop()
        return answer


def test_a_stop_inside_end_epoch_is_not_undone_by_the_step_pause():
    control: Control | None = None
    signal = StopInsideEndEpoch(lambda: control.stop())
    control = Control(0.1, stop_signal=signal)
    control.pause_after_epoch()
    assert control.end_epoch() is False  # the stop won: no pause
    assert not signal.armed and control.stopped and not control.paused
    waiter = threading.Thread(target=control.checkpoint, daemon=True)
    waiter.start()
    waiter.join(5)
    assert not waiter.is_alive(), "checkpoint() hangs after the stop"


def test_a_session_stopped_as_its_step_pause_lands_ends_stopped():
    """The console's x (or q) during a step, just as the epoch ends: the run stops."""
    session: Session | None = None
    signal = StopInsideEndEpoch(lambda: session.stop())
    session = Session(stop_signal=signal)
    session.begin(preset("fast", epochs=50, samples=256), step=True)
    worker = threading.Thread(target=session.run, daemon=True)
    worker.start()
    worker.join(30)
    alive = worker.is_alive()
    if alive:  # a failure must not leave the thread parked
        session.trainer.control.resume()
        worker.join(30)
    assert not alive, "the run hung in its step's pause after the stop"
    assert not signal.armed and session.state == S.STOPPED and session.epoch == 1


def test_resuming_with_p_or_s_cancels_a_pending_step():
    """n then p (pause) then p or s (resume): the run trains on past the epoch's end."""
    session = Session()
    session.begin(preset("fast", epochs=10_000, samples=20_000, batch_size=16), step=True)
    worker = threading.Thread(target=session.run, daemon=True)
    worker.start()
    try:
        wait_until(lambda: session.state == S.PAUSED)  # after epoch 1: the begun step
        assert session.step() is None and session.state == S.TRAINING  # n: epoch 2, then a pause
        assert session.pause() is None and session.state == S.PAUSED  # p, well inside epoch 2
        assert session.pause() is None and session.state == S.TRAINING  # p (or s) resumes
        wait_until(lambda: session.epoch >= 3)
        assert session.state == S.TRAINING and not session.trainer.control.paused
    finally:
        session.stop()
        worker.join(30)
    assert session.state == S.STOPPED


def test_a_run_saved_paused_after_a_step_continues_as_if_never_paused(tmp_path):
    """n, then ctrl+s while paused after epoch 1, then --from that folder to the end: the
    same history.csv bytes as the run that never paused."""
    config = preset("fast", epochs=4, samples=120)
    whole = Session()
    whole.train(config)
    whole.save(tmp_path / "whole")

    stepped = Session()
    stepped.begin(config, step=True)
    worker = threading.Thread(target=stepped.run, daemon=True)
    worker.start()
    try:
        wait_until(lambda: stepped.state == S.PAUSED and not stepped.stopwatch.running)  # parked
        assert stepped.epoch == 1
        stepped.save(tmp_path / "paused")
    finally:
        stepped.stop()
        worker.join(30)
    assert stepped.state == S.STOPPED and stepped.epoch == 1

    continued = Session()
    continued.adopt(load_run(tmp_path / "paused"))
    assert continued.begin(config) is True
    continued.run()
    continued.save(tmp_path / "continued")
    assert (tmp_path / "continued" / "history.csv").read_bytes() == (tmp_path / "whole" / "history.csv").read_bytes()

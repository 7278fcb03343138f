"""The session: a run's states and the only moves between them, pause and stop from another
thread (or process), the rule for when a start continues the last run, and the record."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from tui_lstm.backends import make_backend
from tui_lstm.config import preset
from tui_lstm.session import TRANSITIONS, IllegalMove, RunState, Session, result_rows
from tui_lstm.training import BatchDone, EpochDone

S = RunState
QUICK = preset("fast", epochs=2, samples=200)
LONG = preset("fast", epochs=10_000, samples=2_000)  # ends only when stopped


def wait_until(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Seen:
    """An on_event that notes each event with the session's state as it arrived."""

    def __init__(self):
        self.session: Session | None = None
        self.events: list = []
        self.states: list[RunState] = []

    def __call__(self, event) -> None:
        self.events.append(event)
        self.states.append(self.session.state)

    def count(self, kind) -> int:
        return sum(isinstance(event, kind) for event in self.events)


def watched() -> tuple[Session, Seen]:
    seen = Seen()
    seen.session = Session(seen)
    return seen.session, seen


def in_thread(session: Session) -> threading.Thread:
    worker = threading.Thread(target=session.run, daemon=True)
    worker.start()
    return worker


# --- the state machine -----------------------------------------------------------------


@pytest.mark.parametrize("start", list(RunState))
def test_every_move_in_the_table_is_made_and_no_other(start):
    for to in RunState:
        session = Session()
        session.state = start
        if to in TRANSITIONS[start]:
            session._move(to)
            assert session.state == to
        else:
            with pytest.raises(IllegalMove):
                session._move(to)
            assert session.state == start


def test_every_state_is_reached_from_ready_and_leads_back_to_it():
    """No state in the table is unreachable, and none is a dead end."""

    def reached(start: RunState, moves) -> set[RunState]:
        seen, todo = {start}, [start]
        while todo:
            for to in moves(todo.pop()):
                if to not in seen:
                    seen.add(to)
                    todo.append(to)
        return seen

    assert reached(S.READY, lambda state: TRANSITIONS[state]) == set(RunState)
    back = {state: {s for s in RunState if state in TRANSITIONS[s]} for state in RunState}
    assert reached(S.READY, lambda state: back[state]) == set(RunState)


def test_controls_refuse_what_the_state_does_not_allow():
    session = Session()
    assert session.pause() == "not training" and session.stop() == "not training"
    assert session.state == S.READY
    session.begin(QUICK)
    for call in (lambda: session.begin(QUICK), session.reset, lambda: session.open("anywhere")):
        with pytest.raises(IllegalMove):
            call()
    assert session.state == S.STARTING


def test_a_run_goes_ready_starting_training_testing_finished():
    session, seen = watched()
    assert session.state == S.READY
    assert session.begin(QUICK) is False and session.state == S.STARTING
    assert session.run() == S.FINISHED == session.state
    assert seen.states[0] == S.TRAINING and seen.states[-1] == S.FINISHED
    distinct = [state for i, state in enumerate(seen.states) if i == 0 or state != seen.states[i - 1]]
    assert distinct == [S.TRAINING, S.TESTING, S.FINISHED]
    assert seen.count(EpochDone) == 2 and not session.live


# --- steering a run from another thread ------------------------------------------------


def test_pause_and_resume_from_another_thread():
    """Paused: no batch, no epoch, and the stopwatch stands still; resumed, the run goes on."""
    session, seen = watched()
    session.begin(LONG)
    worker = in_thread(session)
    wait_until(lambda: seen.count(BatchDone) > 0)
    assert session.pause() is None and session.state == S.PAUSED
    wait_until(lambda: not session.stopwatch.running)  # the loop reached its next batch
    held = seen.count(BatchDone), session.epoch, session.stopwatch.seconds
    time.sleep(0.3)
    assert (seen.count(BatchDone), session.epoch, session.stopwatch.seconds) == held
    assert session.pause() is None and session.state == S.TRAINING  # pause again: resume
    wait_until(lambda: seen.count(BatchDone) > held[0])
    assert session.stopwatch.seconds > held[2]
    session.stop()
    worker.join(30)
    assert session.state == S.STOPPED


def test_stop_while_starting_ends_ready_with_no_run():
    """A stop before the model is built: nothing trains and nothing is kept."""
    session, seen = watched()
    session.begin(QUICK)
    assert session.stop() is None and session.state == S.STOPPING
    assert session.run() == S.READY
    assert session.trainer is None and seen.events == []
    assert session.begin(QUICK) is False  # a start after it is a new run


def test_stop_while_a_continued_run_is_starting_stops_it():
    """The stop lands between begin and run: the continued run ends at its first batch."""
    session = Session()
    session.train(QUICK)
    assert session.begin(QUICK.replace(epochs=6)) is True
    session.stop()
    assert session.run() == S.STOPPED
    assert session.epoch == 2


def test_stop_mid_run_keeps_the_model_its_history_describes():
    """Stopped mid-epoch, the record's model is the last whole epoch's: it scores the test
    rows as the history's last row says, and the results are its answers."""
    session, seen = watched()
    session.begin(preset("fast", epochs=50, samples=20_000, batch_size=16))  # 1,250 batches an epoch
    worker = in_thread(session)
    wait_until(lambda: any(isinstance(event, BatchDone) and event.epoch == 2 for event in seen.events))
    session.stop()  # a tenth of a second into epoch 2
    worker.join(30)
    assert session.state == S.STOPPED
    record = session.record()
    assert record.state == "stopped" and len(record.history) == record.summary.epochs_run > 0
    backend = make_backend(record.config, record.model)
    val_loss, _ = backend.evaluate(session.trainer.test)
    assert val_loss == record.history[-1].val_loss
    assert record.summary.test_exact_accuracy == record.history[-1].val_exact_accuracy
    assert record.results == result_rows(backend, record.config, session.trainer.test.pairs)


# --- the continue rule and reset -------------------------------------------------------


def test_more_epochs_continue_the_run_and_keep_its_history():
    session = Session()
    first = session.train(QUICK)
    more = QUICK.replace(epochs=4, lr=0.05)
    assert session.continues(more)
    assert session.begin(more) is True
    session.run()
    record = session.record()
    assert record.history[:2] == first.history and [m.epoch for m in record.history] == [1, 2, 3, 4]
    assert [m.lr for m in record.history[2:]] == [0.05, 0.05]
    assert not session.continues(more)  # no epochs left


def test_a_changed_shape_starts_fresh():
    session = Session()
    session.train(QUICK)
    changed = QUICK.replace(epochs=4, hidden=QUICK.hidden + 1)
    assert not session.continues(changed)
    assert session.begin(changed) is False
    session.run()
    assert [m.epoch for m in session.trainer.history] == [1, 2, 3, 4]
    assert session.trainer.config.hidden == QUICK.hidden + 1


def test_after_an_error_a_start_is_fresh():
    """A run that raised is not continued: its state is unknown."""

    def fail(event):
        if isinstance(event, EpochDone):
            raise RuntimeError("the listener broke")

    session = Session(fail)
    session.begin(QUICK)
    with pytest.raises(RuntimeError):
        session.run()
    assert session.state == S.ERROR and session.error == "the listener broke"
    assert not session.continues(QUICK.replace(epochs=4))
    session.on_event = lambda event: None
    assert session.begin(QUICK.replace(epochs=4)) is False and session.error is None


def test_reset_forgets_the_run():
    session = Session()
    session.train(QUICK)
    assert session.stopwatch.seconds > 0
    session.reset()
    assert (session.state, session.trainer, session.epoch, session.stopwatch.seconds) == (S.READY, None, 0, 0.0)
    assert not session.continues(QUICK.replace(epochs=4))


# --- the record ------------------------------------------------------------------------


def test_the_record_pickles():
    """A worker process sends its record back pickled: it arrives equal."""
    record = Session().train(QUICK)
    assert pickle.loads(pickle.dumps(record)) == record
    assert record.state == "finished" and len(record.history) == 2 and record.model


def train_until_stopped(config, stop, started):
    """In a child process: a session whose stop signal the parent holds."""
    session = Session(lambda event: isinstance(event, EpochDone) and started.set(), stop_signal=stop)
    return session.train(config)


def test_a_run_in_another_process_is_stopped_from_this_one():
    with multiprocessing.Manager() as manager:
        stop, started = manager.Event(), manager.Event()
        context = multiprocessing.get_context("spawn")  # no threads forked with the child
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            future = pool.submit(train_until_stopped, LONG, stop, started)
            assert started.wait(60)  # an epoch done
            time.sleep(0.5)
            stop.set()
            record = future.result(60)
    assert record.state == "stopped" and 0 < len(record.history) < LONG.epochs


def test_a_save_while_a_pause_is_taking_effect_is_a_run_that_loads(tmp_path, monkeypatch):
    """The console saves as soon as the state reads PAUSED, while the training thread may
    still be between an epoch's probe and its history row: the record must still be one
    moment, or the run it saves is refused on loading (gradients.csv one epoch ahead)."""
    from tui_lstm.runs import load_run
    from tui_lstm.training import Trainer

    probed = threading.Event()
    real_probe = Trainer.probe_flow

    def slow_probe(trainer, epoch):  # the end of an epoch taking a moment, as a big run's does
        real_probe(trainer, epoch)
        if epoch == 2:
            probed.set()
            time.sleep(0.5)

    monkeypatch.setattr(Trainer, "probe_flow", slow_probe)
    session = Session()
    session.begin(preset("fast", epochs=50, samples=64))
    worker = threading.Thread(target=session.run)
    worker.start()
    try:
        assert probed.wait(timeout=60)
        assert session.pause() is None and session.state == RunState.PAUSED
        saved = load_run(session.save(tmp_path / "saved"))
        assert len(saved.record.history) == saved.record.summary.epochs_run == saved.record.flow[-1].epoch
    finally:
        session.stop()
        worker.join(timeout=60)

"""Pictures of the console's main screen, compared with the committed ones (pytest-textual-snapshot).

Each is deterministic: nothing is trained (a run is shown by opening a committed run
folder, so a change in NumPy or BLAS cannot move its figures), no blinking cursor (the
results table has the focus), and no timing on screen (samples/s, elapsed and ETA show
only while a run is live).
Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the pictures before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_helpers import small

from tui_lstm.tui.app import TuiLstmApp

SIZES = [(80, 24), (120, 40)]
REPO = Path(__file__).resolve().parents[1]
RECORDED = "tests/fixtures/runs/format0-numpy"  # 12 epochs of small(); relative, so the picture is the same anywhere


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch):
    monkeypatch.chdir(REPO)


async def _open_recorded_run(pilot) -> None:
    app = pilot.app
    await pilot.press("o", *RECORDED, "enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.screen is app.screen_stack[0], "the run did not open"
    app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ready(snap_compare, size):
    """The console as it opens (on the small test config, so that retuning a preset
    leaves the picture alone): the settings on the left, empty sparklines and charts
    (x axis 1..3 epochs), an empty results table, status "ready" and every key in the
    footer."""
    assert snap_compare(TuiLstmApp(small()), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_recorded_run(snap_compare, size):
    """A 12-epoch run on 4-bit sums, opened from its folder: its settings in the fields,
    sparklines with their last values, the loss and bit-accuracy curves over 12 epochs,
    the test rows each marked ✓ or ✗ with wrong bits lit, the generalization figures
    under the sparklines, and the status line with the exact accuracy over all pairs
    and the folder it came from."""
    assert snap_compare(TuiLstmApp(small()), terminal_size=size, run_before=_open_recorded_run)


def test_invalid_field(snap_compare):
    """Hidden units set to 0: the field is marked and the reason is written under it."""

    async def make_invalid(pilot):
        await pilot.pause()  # the main screen composes once the app is ready
        pilot.app.query_one("#field-hidden", Input).value = "0"
        await pilot.pause()

    assert snap_compare(TuiLstmApp(small()), terminal_size=(80, 24), run_before=make_invalid)


def test_no_color(snap_compare, monkeypatch):
    """The same recorded run with NO_COLOR set: right and wrong told by ✓ and ✗, wrong
    bits by reverse video, the two curves by their shade of grey."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(TuiLstmApp(small()), terminal_size=(80, 24), run_before=_open_recorded_run)

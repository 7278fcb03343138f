"""Pictures of the console's main screen, compared with the committed ones (pytest-textual-snapshot).

Each is deterministic: a fixed seed, no blinking cursor (the results table has the focus),
and no timing on screen (samples/s, elapsed and ETA show only while a run is live).
Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the pictures before committing them.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_helpers import quick_final_tests, small, wait_until

from tui_lstm.tui.app import TuiLstmApp

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    quick_final_tests(monkeypatch)


async def _train_to_end(pilot) -> None:
    app = pilot.app
    await pilot.press("s")
    await wait_until(pilot, lambda: app.trainer is not None and not app.live)
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
def test_after_a_short_run(snap_compare, size):
    """A finished 3-epoch run on 4-bit sums: sparklines with their last values, the loss
    and bit-accuracy curves over 3 epochs, the test rows each marked ✓ or ✗ with wrong
    bits lit, the generalization figures under the sparklines, and status "finished"
    with the exact accuracy over all pairs."""
    assert snap_compare(TuiLstmApp(small(epochs=3)), terminal_size=size, run_before=_train_to_end)


def test_invalid_field(snap_compare):
    """Hidden units set to 0: the field is marked and the reason is written under it."""

    async def make_invalid(pilot):
        pilot.app.query_one("#field-hidden", Input).value = "0"
        await pilot.pause()

    assert snap_compare(TuiLstmApp(small()), terminal_size=(80, 24), run_before=make_invalid)


def test_no_color(snap_compare, monkeypatch):
    """The same short run with NO_COLOR set: right and wrong told by ✓ and ✗, wrong bits
    by reverse video, the two curves by their shade of grey."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(TuiLstmApp(small(epochs=3)), terminal_size=(80, 24), run_before=_train_to_end)

"""Keys first: while the console trains, the UI thread waits at most 1 ms for the GIL.

The training thread holds the GIL between small NumPy calls; by default another thread
may wait 5 ms for it at every turn of its loop, which adds up to keys that feel
sluggish. 1 ms costs the training thread next to nothing. The interval is process-wide,
so it is set only while a run is live and put back after.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

UI_SWITCH_SECONDS = 0.001  # Python's default: 0.005


@contextmanager
def ui_first() -> Iterator[None]:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(UI_SWITCH_SECONDS)
    try:
        yield
    finally:
        sys.setswitchinterval(saved)

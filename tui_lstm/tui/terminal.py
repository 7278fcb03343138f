"""The console draws on a terminal of its own: a duplicate of the one it was started on.

Textual draws on ``sys.__stderr__``, file descriptor 2. So do the libraries the console
may load: TensorFlow's C++ logging and absl write stray lines to fd 2, and the keras
backend points fd 2 at /dev/null for the seconds of its import to keep them off the
screen. With the screen on fd 2 too, that silence froze the picture during the import,
and a quit in those seconds sent the sequences that restore the terminal to /dev/null,
leaving it in the alternate screen, with the mouse captured and no cursor.

So while the console runs, Textual gets a duplicate of the terminal's descriptor and fd
2 itself points at /dev/null: nothing stray reaches the screen, and nothing that
silences fd 2 can hide it. Both are put back when the console ends.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def screen_of_its_own() -> Iterator[None]:
    sys.__stderr__.flush()
    terminal_fd = os.dup(2)
    terminal = os.fdopen(terminal_fd, "w", encoding="utf-8", errors="replace")
    saved_fd, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    saved = sys.__stderr__, sys.stderr
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.__stderr__ = sys.stderr = terminal
    try:
        yield
    finally:
        terminal.flush()
        sys.__stderr__, sys.stderr = saved
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        terminal.close()

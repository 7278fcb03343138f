"""The console in a real pseudo-terminal: however it ends, the terminal is given back whole.

Quitting while the keras backend is starting (TensorFlow being imported), or a SIGTERM,
must leave the alternate screen, turn mouse tracking off and show the cursor again,
and the screen must keep being drawn while TensorFlow is imported."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from importlib.util import find_spec

import pytest

LEAVE_ALTERNATE_SCREEN, SHOW_CURSOR, MOUSE_OFF = b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?1000l"
needs_tensorflow = pytest.mark.skipif(find_spec("tensorflow") is None, reason="tensorflow is not installed")


class Console:
    """``tui-lstm`` on a pseudo-terminal of 80x24, and everything it writes there."""

    def __init__(self, *argv: str):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            env = {**os.environ, "TERM": "xterm-256color"}
            os.execvpe(sys.executable, [sys.executable, "-m", "tui_lstm.cli", *argv], env)
        self.output = bytearray()

    def read_until(self, wanted: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while wanted not in self.output and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.05)[0]:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:  # the child has gone
                    break
        return wanted in self.output

    def finish(self, timeout: float = 60) -> int:
        """Read until the child exits; its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read_until(b"\0never", 0.2)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.read_until(b"\0never", 0.2)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the console did not exit")

    def given_back(self) -> bool:
        """After the last time it entered the alternate screen, it left it, showed the
        cursor and turned the mouse off."""
        tail = self.output[self.output.rfind(b"\x1b[?1049h") :]
        return all(sequence in tail for sequence in (LEAVE_ALTERNATE_SCREEN, SHOW_CURSOR, MOUSE_OFF))


@needs_tensorflow
def test_q_while_tensorflow_is_imported_gives_the_terminal_back():
    console = Console("train", "--preset", "report-keras", "--epochs", "1")
    assert console.read_until(b"starting", timeout=30), "the first frame never came"
    os.write(console.fd, b"q")
    assert console.finish() == 0
    assert console.given_back()


@needs_tensorflow
def test_the_screen_is_drawn_while_tensorflow_is_imported():
    """The status line goes from starting to training: drawn during and after the import."""
    console = Console("train", "--preset", "report-keras", "--epochs", "3")
    try:
        assert console.read_until(b"starting", timeout=30)
        assert console.read_until(b"training", timeout=120), "nothing drawn after the import began"
    finally:
        os.write(console.fd, b"q")
        console.finish()


def test_sigterm_gives_the_terminal_back():
    console = Console("train", "--epochs", "100000", "--samples", "2000")
    assert console.read_until(b"training", timeout=30)
    os.kill(console.pid, signal.SIGTERM)
    assert console.finish() == 143
    assert console.given_back()

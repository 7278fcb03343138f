"""The console in a real pseudo-terminal, beyond tests/test_terminal.py: the status line's
"starting" is drawn before TensorFlow's import has ended (the import is marked in files
by the child), a line a C++ library writes straight to file descriptor 2 never reaches
the screen, and a SIGTERM, while the keras backend starts or while a run trains, puts
the terminal back and exits 143, as headless runs do."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

import pytest

from tui_lstm.headless_run import EXIT_SIGNAL

KERAS = pytest.mark.skipif(find_spec("tensorflow") is None, reason="tensorflow is not installed")
SMALL = ["--bits", "4", "--hidden", "8", "--samples", "64", "--batch-size", "16", "--test-samples", "20"]
# the terminal put back: alternate screen left, mouse tracking off, cursor shown
PUT_BACK = (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?25h")
STRAY = b"a line straight to file descriptor 2"  # as TensorFlow's C++ logging writes them
EXIT_SECONDS = 180  # generous: a quit while TensorFlow is imported waits for the import to end

# tui-lstm as the command runs it, with the TensorFlow import marked in files: begun, and
# done (after which a C++ library's line goes to file descriptor 2)
CHILD = """
import os, sys
from tui_lstm.backends import keras_backend
from tui_lstm.cli import main

def import_keras(real=keras_backend.import_keras):
    open(os.environ["MARKS"] + ".begun", "w").close()
    keras = real()
    os.write(2, os.environ["STRAY"].encode() + b"\\n")
    open(os.environ["MARKS"] + ".done", "w").close()
    return keras

keras_backend.import_keras = import_keras
sys.exit(main(sys.argv[1:]))
"""


class Console:
    """``tui-lstm ARGS`` on an 80x24 pseudo-terminal, and every byte it has written there."""

    def __init__(self, args: list[str], folder: Path):
        self.marks = folder / "tensorflow"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "MARKS": str(self.marks), "STRAY": STRAY.decode()}
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=folder,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.fd, self.output = master, bytearray()

    def marked(self, what: str) -> bool:
        return Path(f"{self.marks}.{what}").exists()

    def read_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Collect output until ``condition()`` holds (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline or not self._read(0.01):
                return condition()
        return True

    def _read(self, seconds: float) -> bool:
        """Read what is there within ``seconds``; False once the terminal is closed."""
        if select.select([self.fd], [], [], seconds)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                return False
            self.output += chunk
            return bool(chunk)
        return True

    def first_frame(self) -> None:
        assert self.read_until(lambda: b"hyperparameters" in self.output and b"quit" in self.output, 60)

    def press(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def exit_status(self) -> int:
        """Wait for the process to end, reading all it writes; its exit status."""
        deadline = time.monotonic() + EXIT_SECONDS
        while self.process.poll() is None and time.monotonic() < deadline:
            if not self._read(0.05):
                time.sleep(0.05)  # the terminal is closed: the process is ending
        assert self.process.poll() is not None, f"still running {EXIT_SECONDS}s later"
        while self._read(0.1):  # the last bytes
            pass
        return self.process.returncode

    def put_back(self) -> bool:
        """Whether the terminal was put back after the console last took it."""
        tail = self.output.rsplit(b"\x1b[?1049h", 1)[-1]
        return all(sequence in tail for sequence in PUT_BACK)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.fd)


@pytest.fixture
def console(tmp_path):
    started = []

    def start(*args: str) -> Console:
        started.append(Console(list(args), tmp_path))
        return started[-1]

    yield start
    for each in started:
        each.close()


@KERAS
def test_the_screen_is_drawn_while_tensorflow_is_imported_and_sigterm_puts_the_terminal_back(console):
    tui = console("--preset", "report-keras", *SMALL)
    tui.first_frame()
    tui.press("s")
    assert tui.read_until(lambda: b"starting" in tui.output or tui.marked("done"), 120)
    assert b"starting" in tui.output and not tui.marked("done")
    assert tui.read_until(lambda: tui.marked("done"), 120)
    tui.process.send_signal(signal.SIGTERM)
    assert tui.exit_status() == EXIT_SIGNAL[signal.SIGTERM]
    assert tui.put_back()
    assert STRAY not in tui.output


def test_sigterm_stops_a_live_run_and_puts_the_terminal_back(console):
    tui = console("train", "--epochs", "1000000", *SMALL)
    assert tui.read_until(lambda: b"samples/s" in tui.output, 60)  # training
    tui.process.send_signal(signal.SIGTERM)
    assert tui.exit_status() == EXIT_SIGNAL[signal.SIGTERM]
    assert tui.put_back()

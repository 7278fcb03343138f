"""A served console in a real browser, for tests/test_browser.py and benchmarks/serve.py.

``tui-lstm serve`` runs in a subprocess on a free loopback port (``--port 0``; the URL is
read from its first line); Debian's chromium (``/usr/bin/chromium``, never a download) is
driven by Playwright. The terminal is drawn on a canvas, so what the console shows is read
from the websocket frames it sends: the bytes Textual writes, escape codes and all.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium")
SERVE = [sys.executable, "-m", "tui_lstm", "serve"]
ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the consoles a server started: each is ``exec``'d)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class Served:
    """``tui-lstm serve --port 0 FLAGS`` in ``cwd``, until ``stop``."""

    def __init__(self, *flags: str, cwd: Path):
        self.process = subprocess.Popen(
            [*SERVE, "--port", "0", *flags], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        first = self.process.stdout.readline()
        match = re.search(r"(http://\S+)/\?token=(\S+)", first)
        if match is None:
            self.process.kill()
            raise RuntimeError(f"serve did not print its URL: {first!r} {self.process.stderr.read()!r}")
        self.base, self.token = match.groups()
        self.url = f"{self.base}/?token={self.token}"

    def consoles(self) -> list[int]:
        return children_of(self.process.pid)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 15) -> int:
        """Send ``signum``; the exit status (killed, and an error, if it takes over ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *_) -> None:
        if self.process.poll() is None:
            self.stop()


class Tab:
    """A browser tab on a served page, and the console's websocket frames it got: (time, bytes)."""

    def __init__(self, browser, url: str, width: int = 1000, height: int = 600):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.received: list[tuple[float, bytes]] = []
        self.messages: list[str] = []
        self.sent: list[str] = []
        self.websocket_url = ""
        self.page.on("websocket", self._watch)
        self.opened = time.perf_counter()
        self.response = self.page.goto(url)

    def _watch(self, websocket) -> None:
        self.websocket_url = websocket.url
        websocket.on("framereceived", self._received)
        websocket.on("framesent", lambda payload: self.sent.append(payload))

    def _received(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):  # the console's output; str frames are textual-serve's own (pong, ...)
            self.received.append((time.perf_counter(), payload))
        else:
            self.messages.append(payload)

    def text(self, since: int = 0) -> str:
        """What the console wrote (from frame ``since``), its escape codes taken out."""
        return ESCAPE.sub("", b"".join(data for _, data in self.received[since:]).decode("utf-8", "replace"))

    def wait_for_text(self, pattern: str, timeout: float = 30, since: int = 0) -> re.Match:
        """Wait (letting Playwright deliver frames) until the console has written ``pattern``."""
        deadline = time.perf_counter() + timeout
        while (match := re.search(pattern, self.text(since))) is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no {pattern!r} in {timeout}s; the last frames: {self.text()[-600:]!r}")
            self.page.wait_for_timeout(100)
        return match

    def first_paint(self, timeout: float = 30) -> float:
        """Seconds from the page's request to the first frame drawn (textual.js shows the terminal then)."""
        self.page.wait_for_selector("body.-first-byte", state="attached", timeout=timeout * 1000)
        return next(when for when, data in self.received if len(data) > 10) - self.opened

    def press(self, key: str) -> None:
        self.page.focus(".xterm-helper-textarea")  # where xterm.js takes the keys from
        self.page.keyboard.press(key)

    def close(self) -> None:
        self.context.close()

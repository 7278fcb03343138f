"""How the console feels in a real terminal: first frame, key latency, output rate.

Runs ``tui-lstm`` in a pseudo-terminal of 80x24, as a person over SSH would, and reads
what it writes to the terminal:

- time to first frame: launch until the first screen (the hyperparameters panel and the
  footer's keys) has been written; target under 1 s;
- key latency while the NumPy backend trains: ``p`` written to the terminal until the
  status line's "paused" comes back, p95 over many presses; target under 100 ms;
- output rate while training: bytes written to the terminal per second; target under
  50 KB/s;
- quitting mid-training: ``q`` written until the process has exited; target under 1 s.

    python benchmarks/tui_latency.py [--presses 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time

COLUMNS, ROWS = 80, 24


class Terminal:
    """A child process on a pseudo-terminal, and everything it has written, timestamped."""

    def __init__(self, args: list[str]):
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: size its terminal, then become tui-lstm
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
            env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
            os.execvpe(sys.executable, [sys.executable, "-m", "tui_lstm.cli", *args], env)
        self.output = bytearray()
        self.total = 0

    def read(self, seconds: float) -> None:
        """Collect output for up to ``seconds``."""
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                self.output += chunk
                self.total += len(chunk)

    def wait_for(self, marker: bytes, timeout: float = 10.0) -> float:
        """Seconds until ``marker`` appears in output written from now on."""
        self.output.clear()
        start = time.perf_counter()
        while marker not in self.output:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"no {marker!r} within {timeout}s")
            self.read(0.002)
        return time.perf_counter() - start

    def cpu_seconds(self) -> float:
        """CPU time the child has used so far: unlike wall time, not inflated by a busy machine."""
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def press(self, key: str) -> None:
        os.write(self.fd, key.encode())

    def close(self) -> float:
        """Press q; seconds until the process has exited (killed after 3 s)."""
        self.press("q")
        start = time.perf_counter()
        while time.perf_counter() - start < 3:
            self.read(0.005)
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                return time.perf_counter() - start
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return float("inf")


def first_frame() -> tuple[float, float]:
    """(wall seconds, CPU seconds) from launch to the first screen written."""
    terminal = Terminal(["--preset", "fast"])
    try:
        seen = bytearray()
        while not (b"hyperparameters" in seen and b"quit" in seen):
            terminal.read(0.005)
            seen += terminal.output
            terminal.output.clear()
            if time.perf_counter() - terminal.started > 20:
                raise TimeoutError("no first frame within 20s")
        return time.perf_counter() - terminal.started, terminal.cpu_seconds()
    finally:
        terminal.close()


def while_training(presses: int, seconds: float) -> tuple[list[float], float, float]:
    """(pause latencies, output bytes per second, seconds to quit) while the fast preset trains."""
    terminal = Terminal(["train", "--preset", "fast", "--epochs", "1000000"])
    try:
        terminal.wait_for(b"samples/s", timeout=20)  # training has begun
        terminal.total = 0
        measured = time.perf_counter()
        terminal.read(seconds)
        rate = terminal.total / (time.perf_counter() - measured)
        latencies = []
        for _ in range(presses):
            terminal.press("p")
            latencies.append(terminal.wait_for(b"paused"))
            terminal.press("s")
            terminal.read(0.3)  # let it train a little between presses
    except BaseException:
        terminal.close()
        raise
    return latencies, rate, terminal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--launches", type=int, default=3)
    args = parser.parse_args()

    launches = [first_frame() for _ in range(args.launches)]
    wall, cpu = sorted(w for w, _ in launches), sorted(c for _, c in launches)
    print(
        f"first frame: median {statistics.median(wall):.3f}s, worst {wall[-1]:.3f}s over "
        f"{args.launches} launches (target < 1 s); CPU used by then: median {statistics.median(cpu):.2f}s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    latencies, rate, quit_seconds = while_training(args.presses, args.seconds)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1] if len(latencies) > 1 else latencies[0]
    print(
        f"key to effect while training: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, worst {max(latencies) * 1000:.1f} ms over {len(latencies)} presses "
        f"(target p95 < 100 ms)"
    )
    print(
        f"terminal output while training at {COLUMNS}x{ROWS}: {rate / 1024:.1f} KB/s over "
        f"{args.seconds:g}s (target < 50 KB/s)"
    )
    print(f"quit mid-training: process gone {quit_seconds:.3f}s after q (target < 1 s)")


if __name__ == "__main__":
    main()

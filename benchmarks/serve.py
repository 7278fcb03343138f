"""How the console feels in a browser (``tui-lstm serve``): first paint, and the websocket's traffic.

Serves the console on a free loopback port and opens it in Debian's chromium through
Playwright (tests/served.py), as a person would:

- first paint: the page's request (with the token, so through the cookie's redirect)
  until the console's first frame has arrived and textual.js shows the terminal; median
  and worst of several fresh tabs, each a new console process; target within 1.5 s;
- websocket rate while training: the bytes of the frames the browser receives per second,
  over ``--seconds`` of training the default ``fast`` preset (``--epochs 2000``, so it does
  not finish), with the browser window sized so that the terminal has 80x24 and 120x40
  cells; target at most 50 KB/s (KB = 1,000 bytes).

    python benchmarks/serve.py [--seconds 10] [--paints 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # served.py: the tests' browser helpers
from served import CHROMIUM, Served, Tab  # noqa: E402

SIZES = ((80, 24), (120, 40))


def cells(tab: Tab) -> tuple[int, int]:
    """The terminal's size in cells: the last resize the page sent, else the one it connected with."""
    for payload in reversed(tab.sent):
        message = json.loads(payload)
        if message[0] == "resize":
            return message[1]["width"], message[1]["height"]
    query = parse_qs(urlsplit(tab.websocket_url).query)
    return int(query["width"][0]), int(query["height"][0])


def size_to(tab: Tab, columns: int, rows: int) -> None:
    """Resize the window until xterm.js's fit gives the terminal ``columns`` x ``rows`` cells."""
    width, height = tab.page.viewport_size["width"], tab.page.viewport_size["height"]
    for _ in range(8):
        got = cells(tab)
        if got == (columns, rows):
            return
        cell_width, cell_height = width / got[0], height / got[1]
        width += round((columns - got[0]) * cell_width) or (1 if columns > got[0] else -1)
        height += round((rows - got[1]) * cell_height) or (1 if rows > got[1] else -1)
        tab.page.set_viewport_size({"width": width, "height": height})
        tab.page.wait_for_timeout(400)
    raise RuntimeError(f"could not size the terminal to {columns}x{rows}: it is {cells(tab)}")


def first_paints(browser, served: Served, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        tab = Tab(browser, served.url)
        seconds.append(tab.first_paint())
        tab.close()
        time.sleep(0.5)  # the closed tab's console quits
    return seconds


def training_rate(browser, served: Served, columns: int, rows: int, seconds: float) -> float:
    """Bytes a second the websocket carries while the console trains at this size."""
    tab = Tab(browser, served.url)
    tab.first_paint()
    size_to(tab, columns, rows)
    tab.press("s")
    tab.wait_for_text(r"training +epoch")
    tab.page.wait_for_timeout(2000)  # past the first epochs' redraw of every widget
    start, first = time.perf_counter(), len(tab.received)
    tab.page.wait_for_timeout(seconds * 1000)
    elapsed = time.perf_counter() - start
    sent = sum(len(data) for _, data in tab.received[first:])
    if cells(tab) != (columns, rows):
        raise RuntimeError(f"the terminal changed size while measuring: {cells(tab)}")
    tab.press("x")
    tab.close()
    return sent / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="training measured at each size (default: 10)")
    parser.add_argument("--paints", type=int, default=5, help="fresh tabs timed to first paint (default: 5)")
    args = parser.parse_args()
    if CHROMIUM is None:
        sys.exit("serve.py: no chromium on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, Served("--epochs", "2000", cwd=Path(folder)) as served:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            paints = first_paints(browser, served, args.paints)
            print(
                f"first paint: median {statistics.median(paints):.2f} s, worst {max(paints):.2f} s "
                f"over {len(paints)} tabs (target: within 1.5 s)"
            )
            for columns, rows in SIZES:
                rate = training_rate(browser, served, columns, rows, args.seconds)
                print(
                    f"websocket while training at {columns}x{rows}: {rate / 1000:.1f} KB/s "
                    f"over {args.seconds:g} s (target: at most 50 KB/s)"
                )
            browser.close()


if __name__ == "__main__":
    main()

"""tui-lstm serve in a real browser: Debian's chromium, driven by Playwright (tests/served.py).

The terminal is drawn on a canvas, so what the console shows is asserted on the text its
websocket frames carry; the screenshot is kept as an artefact (under the test's tmp_path)
for a person to look at. Without chromium these tests skip, unless TUI_LSTM_REQUIRE_BROWSER=1
(as .ci/run sets), where they fail: a browser test must not pass by not running.
"""

from __future__ import annotations

import http.server
import os
import threading
import time

import pytest
from served import CHROMIUM, Served, Tab


def _no_browser(reason: str) -> None:
    if os.environ.get("TUI_LSTM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and TUI_LSTM_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        _no_browser("no chromium on PATH (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def wait_until(condition, timeout: float = 15, page=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100) if page else time.sleep(0.1)


def test_a_tab_gets_a_console_that_trains_to_the_end_and_saves_into_the_runs_folder(browser, tmp_path):
    with Served("--epochs", "3", "--samples", "64", cwd=tmp_path) as served:
        tab = Tab(browser, served.url)
        assert tab.response.status == 200
        assert tab.page.url == served.base + "/"  # the token has left the address bar
        tab.first_paint()
        tab.wait_for_text(r"ready +epoch 0/3")
        assert len(served.consoles()) == 1
        tab.press("s")
        tab.wait_for_text(r"finished +epoch 3/3")
        tab.page.screenshot(path=tmp_path / "finished.png")
        assert (tmp_path / "finished.png").stat().st_size > 0
        tab.press("Control+s")
        tab.wait_for_text(r"saved to ")
        saved = list((tmp_path / "runs").glob("*/config.json"))  # the folder serve was started in
        assert len(saved) == 1, saved
        downloads = []
        tab.context.on("response", lambda response: downloads.append(response) if "/download/" in response.url else 0)
        tab.press("P")  # a screenshot, delivered as a download: through the gate as a same-origin navigation
        wait_until(lambda: downloads, page=tab.page)
        assert downloads[0].status == 200
        assert downloads[0].headers["content-disposition"].startswith("attachment; filename=tui-lstm-")
        assert len(list((tmp_path / "runs" / "screenshots").glob("tui-lstm-*.svg"))) == 1
        tab.press("q")
        wait_until(lambda: tab.page.locator("body.-closed").count() == 1, page=tab.page)  # "the console has ended"
        wait_until(lambda: not served.consoles())
        tab.close()
        assert served.stop() == 130
        log = served.process.stderr.read()
    assert log.count("started") == 1 and log.count("ended") == 1, log
    print(f"screenshot: {tmp_path / 'finished.png'}")


class Elsewhere(http.server.BaseHTTPRequestHandler):
    """Another web page on this machine (another port: the same site, so the cookie goes along)."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>another page</body></html>")

    def log_message(self, *_):
        pass


def test_without_the_token_or_from_another_origin_the_page_and_websocket_get_403_and_no_console(browser, tmp_path):
    elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    with Served(cwd=tmp_path) as served:
        context = browser.new_context()
        page = context.new_page()
        handshakes: list[str] = []
        page.on("websocket", lambda websocket: websocket.on("socketerror", lambda error: handshakes.append(error)))
        open_websocket = "url => new Promise(done => { const w = new WebSocket(url); w.onclose = done; })"
        websocket_url = served.base.replace("http", "ws", 1) + "/ws"

        assert page.goto(served.base + "/").status == 403  # no token
        assert page.goto(served.base + "/?token=guess").status == 403
        assert page.goto(served.base + "/download/key").status == 403
        page.evaluate(open_websocket, websocket_url)

        # the cookie, as the token URL would set it; then a page of another origin uses it
        port = served.base.rsplit(":", 1)[1]
        context.add_cookies([{"name": f"tui_lstm_token_{port}", "value": served.token, "url": served.base}])
        page.goto(f"http://127.0.0.1:{elsewhere.server_address[1]}/")
        # a fetch carries its page's Origin; what the server answers is not the page's to read
        fetched = "url => fetch(url, {credentials: 'include'}).then(response => response.status, () => 'blocked')"
        assert page.evaluate(fetched, served.base + "/") == "blocked"
        page.evaluate(open_websocket, websocket_url)
        page.wait_for_timeout(500)
        assert len(handshakes) == 2 and all("403" in error for error in handshakes), handshakes
        assert served.consoles() == []
        context.close()
        served.stop()
        log = served.process.stderr.read()
    elsewhere.shutdown()
    assert "started" not in log
    # the 403s above, as the server gave them (its refusals are 403s, test_serve.py): without
    # the token, the page, a download and the websocket; with it, from the other page, the
    # page and the websocket again
    foreign = f"origin http://127.0.0.1:{elsewhere.server_address[1]} is not {served.base}"  # cookie, wrong origin
    assert log.count("refused GET / ") == 3 and log.count("refused GET /ws ") == 2, log
    assert log.count("refused GET /download/key ") == 1, log
    assert log.count(foreign) == 2 and "no valid token cookie" in log, log

"""tui-lstm serve without a browser: who gets in (auth.py), what each route answers, the
command line, Ctrl+C ending the consoles, and the console sending less while it trains
(the websocket's budget). A real browser is in test_browser.py.

The server's routes are driven with aiohttp's test client on a real loopback socket; a
websocket that gets in starts a stand-in console that only waits for textual-serve's
quit, except where the real console's end is the point.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import shlex
import signal
import subprocess
import sys
import time
from urllib.parse import unquote

import pytest
from aiohttp import ClientSession, CookieJar, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer
from served import SERVE, Served
from tui_helpers import small, wait_until
from yarl import URL

from tui_lstm.cli import build_parser, main, overrides_from
from tui_lstm.serve import auth
from tui_lstm.serve.auth import TOKEN_ENV, Gate, origin_of
from tui_lstm.serve.server import ConsoleServer, bind, console_flags
from tui_lstm.session import RunState
from tui_lstm.tui.app import TuiLstmApp
from tui_lstm.tui.board import CURVES_SECONDS

TOKEN = "s3cret-token"
# stands in for a console: reads textual-serve's packets until its quit (or the pipe's end)
STAND_IN = shlex.join(
    [sys.executable, "-c", "import os\nwhile (d := os.read(0, 65536)) and b'quit' not in d:\n    pass"]
)


# --- the gate, as plain functions -------------------------------------------------------


def gate(url: str = "http://127.0.0.1:8000") -> Gate:
    return Gate(TOKEN, url)


def test_origins_compare_scheme_host_and_port_with_default_ports_made_explicit():
    assert origin_of("http://Example.org") == origin_of("http://example.org:80/") == ("http", "example.org", 80)
    assert origin_of("https://h") == ("https", "h", 443)
    assert origin_of("http://127.0.0.1:8000") != origin_of("http://127.0.0.1:8001")
    assert origin_of("http://127.0.0.1:8000") != origin_of("https://127.0.0.1:8000")
    assert origin_of("http://localhost:8000") != origin_of("http://127.0.0.1:8000")
    for not_an_origin in ("null", "", "file:///etc", "http://h:99999", "javascript:x"):
        assert origin_of(not_an_origin) is None


def test_the_websocket_wants_the_cookie_and_the_served_origin():
    cookies, origin = {"tui_lstm_token_8000": TOKEN}, {"Origin": "http://127.0.0.1:8000"}
    assert gate().refusal(origin, cookies) is None
    assert "token" in gate().refusal(origin, {})
    assert "token" in gate().refusal(origin, {"tui_lstm_token_8000": TOKEN + "x"})
    assert "token" in gate().refusal(origin, {"tui_lstm_token_8001": TOKEN})  # another port's server's cookie
    assert "Origin" in gate().refusal({}, cookies)
    for foreign in ("http://127.0.0.1:8001", "http://localhost:8000", "https://127.0.0.1:8000", "null", "http://evil"):
        assert "origin" in gate().refusal({"Origin": foreign}, cookies), foreign
    # a websocket is no navigation: Sec-Fetch-Site does not stand in for its Origin
    assert gate().refusal({"Sec-Fetch-Site": "same-origin"}, cookies) is not None


def test_a_download_is_a_navigation_without_origin_where_same_origin_fetch_metadata_stands_in():
    cookies = {"tui_lstm_token_8000": TOKEN}
    assert gate().refusal({"Sec-Fetch-Site": "same-origin"}, cookies, navigation=True) is None
    assert gate().refusal({"Sec-Fetch-Site": "same-site"}, cookies, navigation=True) is not None
    assert gate().refusal({}, cookies, navigation=True) is not None
    assert gate().refusal({"Sec-Fetch-Site": "same-origin"}, {}, navigation=True) is not None
    assert gate().refusal({"Origin": "http://127.0.0.1:9"}, cookies, navigation=True) is not None


def test_tokens_are_compared_in_constant_time_and_new_ones_are_long_and_fresh(monkeypatch):
    compared, compare = [], hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or compare(a, b))
    assert gate().token_matches(TOKEN) and not gate().token_matches("guess") and not gate().token_matches(None)
    assert len(compared) == 2
    tokens = {auth.new_token() for _ in range(100)}
    assert len(tokens) == 100 and min(len(token) for token in tokens) >= 43  # 256 bits in base64


def test_the_cookie_is_named_for_the_port_and_secure_over_https():
    assert gate().cookie_name == "tui_lstm_token_8000" and not gate().secure
    assert gate("https://box.example").cookie_name == "tui_lstm_token_443" and gate("https://box.example").secure


# --- the routes ---------------------------------------------------------------------------


@pytest.fixture
async def served():
    """A ConsoleServer on a loopback port of its own, and a client with no cookie."""
    listening = bind("127.0.0.1", 0)
    base = f"http://127.0.0.1:{listening.getsockname()[1]}"
    server = ConsoleServer(f"exec {STAND_IN}", Gate(TOKEN, base))
    test_server = TestServer(await server._make_app(), socket_factory=lambda *_: listening)
    async with TestClient(test_server) as client:
        client.server_under_test, client.base = server, base
        yield client


async def test_the_token_url_sets_a_strict_http_only_cookie_and_redirects_to_the_clean_url(served):
    response = await served.get(f"/?fontsize=20&token={TOKEN}", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/?fontsize=20"
    cookie = response.cookies[f"tui_lstm_token_{served.port}"]
    assert cookie.value == TOKEN
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/" and not cookie["secure"]
    page = await served.get("/?fontsize=20")  # the client now holds the cookie
    assert page.status == 200
    assert served.server_under_test.consoles_started == 0  # a page starts no console; its websocket does


async def test_the_page_is_refused_without_the_token_with_a_wrong_one_or_from_elsewhere(served):
    assert (await served.get("/")).status == 403
    wrong = await served.get("/?token=guess", allow_redirects=False)
    assert wrong.status == 403 and not wrong.cookies
    twice = await served.get(f"/?token={TOKEN}&token={TOKEN}", allow_redirects=False)
    assert twice.status == 403
    await served.get(f"/?token={TOKEN}")
    assert (await served.get("/")).status == 200
    foreign = await served.get("/", headers={"Origin": "http://127.0.0.1:1"})  # another page's fetch
    assert foreign.status == 403
    other_name = await served.get("/", headers={"Host": f"localhost:{served.port}"})
    assert other_name.status == 403 and served.base in await other_name.text()


async def test_the_page_loads_nothing_from_the_internet_and_connects_to_the_served_origin(served):
    await served.get(f"/?token={TOKEN}")
    html = await (await served.get("/")).text()
    assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in html
    urls = [word.split('"')[1] for word in html.split() if word.startswith(("src=", "href="))]
    assert urls and all(url.startswith(served.base + "/static/") or url == "" for url in urls), urls
    for url in urls:
        if url:
            assert (await served.get(url.removeprefix(served.base))).status == 200, url
    assert "googleapis" not in html and "jsdelivr" not in html


async def test_a_websocket_without_the_cookie_or_from_another_origin_gets_403_and_no_console(served):
    origin = {"Origin": served.base}
    attempts = [
        ({}, origin),  # no cookie
        ({f"tui_lstm_token_{served.port}": "guess"}, origin),
        ({f"tui_lstm_token_{served.port}": TOKEN}, {}),  # no Origin
        ({f"tui_lstm_token_{served.port}": TOKEN}, {"Origin": f"http://127.0.0.1:{served.port + 1}"}),
        ({f"tui_lstm_token_{served.port}": TOKEN}, {"Origin": f"http://localhost:{served.port}"}),
    ]
    for cookies, headers in attempts:
        async with ClientSession(cookies=cookies) as session:
            with pytest.raises(WSServerHandshakeError) as refused:
                await session.ws_connect(served.base + "/ws", headers=headers)
        assert refused.value.status == 403, (cookies, headers)
    assert served.server_under_test.consoles_started == 0 and not served.server_under_test.consoles


async def test_a_websocket_with_the_cookie_from_the_page_starts_a_console_that_ends_with_it(served):
    await served.get(f"/?token={TOKEN}")
    websocket = await served.ws_connect("/ws?width=80&height=24", headers={"Origin": served.base})
    server = served.server_under_test
    for _ in range(100):
        if server.consoles:
            break
        await asyncio.sleep(0.05)
    assert server.consoles_started == 1 and len(server.consoles) == 1
    (console,) = server.consoles
    await websocket.close()
    await asyncio.wait_for(console.wait(), 10)  # textual-serve's quit, on the websocket's close
    assert not server.consoles


async def test_downloads_want_the_cookie_and_the_same_origin(served):
    assert (await served.get("/download/key", headers={"Sec-Fetch-Site": "same-origin"})).status == 403
    await served.get(f"/?token={TOKEN}")
    assert (await served.get("/download/key", headers={"Sec-Fetch-Site": "cross-site"})).status == 403
    # through the gate, to textual-serve's own answer for a key it does not know
    assert (await served.get("/download/key", headers={"Sec-Fetch-Site": "same-origin"})).status == 404


# --- the command --------------------------------------------------------------------------


def test_the_console_is_given_the_flags_serve_was_given():
    parser = build_parser()
    given = ["--preset", "gru", "--epochs", "7", "--lr", "0.003", "--cell", "mgu", "--no-shuffle", "--resample"]
    settings = overrides_from(parser.parse_args(["serve", *given]))
    flags = console_flags("gru", settings)
    assert overrides_from(parser.parse_args(flags)) == settings
    assert parser.parse_args(flags).preset == "gru"


@pytest.mark.parametrize("argv", [["serve", "--runs-dir", "elsewhere"], ["--runs-dir", "elsewhere", "serve"]])
def test_the_runs_folder_given_to_serve_is_the_consoles(monkeypatch, argv):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    given = []
    monkeypatch.setattr("tui_lstm.serve.server.serve", lambda flags, **where: given.append((flags, where)) or 0)
    assert main([*argv, "--epochs", "3"]) == 0
    ((flags, where),) = given
    assert flags == ["--epochs", "3", "--runs-dir", "elsewhere"]
    assert where == {"host": "127.0.0.1", "port": 8000, "token": None, "public_url": None}


LONG = "a-fixed-token-0123456789"


def serve_called(monkeypatch) -> list:
    """Replaces serve: the (flags, where) each call was given."""
    given = []
    monkeypatch.setattr("tui_lstm.serve.server.serve", lambda flags, **where: given.append((flags, where)) or 0)
    return given


def test_a_fixed_token_is_given_in_the_environment_out_of_sight_of_ps(monkeypatch):
    given = serve_called(monkeypatch)
    monkeypatch.setenv(TOKEN_ENV, LONG)
    assert main(["serve"]) == 0
    assert given[0][1]["token"] == LONG
    monkeypatch.delenv(TOKEN_ENV)
    assert main(["serve"]) == 0
    assert given[1][1]["token"] is None  # a new random one


def test_the_token_flag_says_other_users_can_read_it(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "other users" in help_text.lower() and TOKEN_ENV in help_text


@pytest.mark.parametrize("where", ["flag", "environment"])
def test_a_short_token_is_refused_in_one_line(monkeypatch, capsys, where):
    given = serve_called(monkeypatch)
    if where == "flag":
        monkeypatch.delenv(TOKEN_ENV, raising=False)
        argv = ["serve", "--token", "t0k"]
    else:
        monkeypatch.setenv(TOKEN_ENV, "x" * 15)
        argv = ["serve"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "at least 16 characters" in captured.err and captured.err.count("\n") == 1
    assert given == [] and captured.out == ""


@pytest.mark.parametrize(
    ("argv", "flags"),
    [
        (["--ascii", "serve"], ["--ascii"]),
        (["--tensorboard", "tb", "serve"], ["--tensorboard", "tb"]),
        (
            ["--ascii", "--tensorboard", "tb", "serve", "--epochs", "3"],
            ["--epochs", "3", "--ascii", "--tensorboard", "tb"],
        ),
        (["serve", "--ascii", "--tensorboard", "tb"], ["--ascii", "--tensorboard", "tb"]),
    ],
)
def test_ascii_and_tensorboard_reach_the_served_consoles(tmp_path, monkeypatch, argv, flags):
    monkeypatch.chdir(tmp_path)
    given = serve_called(monkeypatch)
    assert main(argv) == 0
    assert given[0][0] == flags
    parsed = build_parser().parse_args(given[0][0])  # what a console makes of them
    assert parsed.command is None and str(parsed.tensorboard or "tb") == "tb"
    assert parsed.ascii == ("--ascii" in flags)


def test_a_served_tensorboard_folder_that_cannot_be_written_is_refused_before_serving(tmp_path, monkeypatch, capsys):
    pytest.importorskip("tensorboardX")
    (tmp_path / "file").write_text("")
    given = serve_called(monkeypatch)
    assert main(["--tensorboard", str(tmp_path / "file" / "tb"), "serve"]) == 2
    assert given == [] and capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--port", "70000"], "not a port"),
        (["--port", "-1"], "not a port"),
        (["--host", "256.1.1.1"], "cannot serve on 256.1.1.1:"),
        (["--host", "no-such-host.invalid"], "cannot serve on no-such-host.invalid:"),
        (["--public-url", "ftp://x"], "not an http(s) URL"),
        (["--epochs", "0"], "epochs"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(tmp_path, flags, says):
    result = subprocess.run([*SERVE, *flags], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""  # no URL printed for a server that is not there


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    taken = bind("127.0.0.1", 0)
    result = subprocess.run(
        [*SERVE, "--port", str(taken.getsockname()[1])], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    taken.close()
    assert result.returncode == 2 and "cannot serve on 127.0.0.1:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_says_how_to_reach_it_and_a_wildcard_bind_is_not_where_the_page_connects(tmp_path):
    with Served(cwd=tmp_path) as served:
        assert served.base.startswith("http://127.0.0.1:")
        tunnel = served.process.stdout.readline()
        port = served.base.rsplit(":", 1)[1]
        assert f"ssh -L {port}:127.0.0.1:{port} " in tunnel
    with Served("--host", "0.0.0.0", cwd=tmp_path) as served:
        assert "0.0.0.0" not in served.base
    with Served("--host", "0.0.0.0", "--public-url", "http://box.lan:8080", "--token", LONG, cwd=tmp_path) as served:
        assert served.url == f"http://box.lan:8080/?token={LONG}"


async def test_a_fixed_token_with_url_special_characters_logs_in_through_the_printed_url(tmp_path, monkeypatch):
    """`+` (a space in a query), `#` (the URL's end), `%41` (an escaped A) and a space: each
    is sent as printed (a browser sends a typed URL's escapes as they are) and must come back
    as the token: 303 with the cookie, which then opens the page."""
    token = "abc+def#ghi%41 jkl-0123"
    monkeypatch.setenv(TOKEN_ENV, token)
    with Served(cwd=tmp_path) as served:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:  # unsafe: keeps an IP's cookies
            login = await session.get(URL(served.url, encoded=True), allow_redirects=False)
            assert login.status == 303, await login.text()
            assert login.cookies[f"tui_lstm_token_{served.base.rsplit(':', 1)[1]}"].value == token
            assert (await session.get(served.base + "/")).status == 200
        assert not set("#+ ") & set(served.url) and unquote(served.token) == token


async def test_ctrl_c_ends_the_consoles_and_exits_130(tmp_path):
    """A real console (over a websocket, as a browser would have it), then Ctrl+C to serve alone."""
    served = Served("--epochs", "5", cwd=tmp_path)
    try:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:  # unsafe: keeps an IP's cookies
            await session.get(served.url)  # the cookie
            websocket = await session.ws_connect(served.base + "/ws", headers={"Origin": served.base})
            drawn = b""
            while b"ready" not in drawn:  # the console's first screen, its status line in it
                drawn += await websocket.receive_bytes(timeout=30)
            consoles = served.consoles()
            assert len(consoles) == 1
            assert served.stop(signal.SIGINT) == 130
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{consoles[0]}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{consoles[0]}")
    finally:
        if served.process.poll() is None:
            served.process.kill()


# --- what the console sends while training (the websocket's budget; benchmarks/serve.py) ----


async def test_the_status_line_repaints_only_when_its_text_changes(monkeypatch):
    app = TuiLstmApp(small())
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.board.status
        repaint, repaints = line.refresh, []
        monkeypatch.setattr(line, "refresh", lambda *a, **k: repaints.append(1) or repaint(*a, **k))

        def set_and_count(**figures) -> int:
            repaints.clear()
            for name, value in figures.items():
                setattr(line, name, value)
            return len(repaints)

        assert set_and_count(rate=101_000.0) == 0  # not shown while ready
        assert set_and_count(epoch=2) == 1 and set_and_count(epoch=2) == 0
        assert set_and_count(run_state=RunState.PAUSED) == 1  # the stopwatch is not running: the clock stays
        assert set_and_count(rate=101_400.0) == 0  # "101k samples/s" either way
        assert set_and_count(rate=120_000.0) == 1
        assert "epoch 2/3 · 120k samples/s" in line.render().plain
        await pilot.pause()


async def test_while_training_the_curves_are_redrawn_at_most_every_curves_seconds_and_whole_at_the_end():
    quick = small(epochs=10_000, samples=64)  # epochs of milliseconds: many land between redraws
    app = TuiLstmApp(quick)
    async with app.run_test(size=(120, 40)) as pilot:
        board, drawn, counted = app.board, [], []
        board.watch(board, "history", lambda history: drawn.append((time.monotonic(), len(history))), init=False)
        board.status.watch(board.status, "epoch", lambda epoch: counted.append(epoch), init=False)
        await pilot.press("s")
        await wait_until(pilot, lambda: len(drawn) >= 4)
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.live)
        await pilot.pause(0.5)
        assert len(board.history) == len(app.trainer.history) > drawn[-2][1]  # the stop drew the last epochs
        gaps = [later[0] - earlier[0] for earlier, later in zip(drawn[:-2], drawn[1:-1])]
        assert min(gaps) >= CURVES_SECONDS - 0.05, gaps
        assert len(set(counted)) > len(drawn)  # the status line moved on in between

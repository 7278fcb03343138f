"""The console served to browsers: textual-serve's ``Server`` with a token, a local page,
and consoles that end with it.

Built on textual-serve 1.1 (pinned in pyproject.toml): its routes (``/``, ``/ws``,
``/download/{key}``, ``/static``) are made in ``Server._make_app`` and bound to the
``handle_*`` methods overridden here, and its ``handle_websocket`` starts an
``AppService`` (a console process) for every websocket before anything could refuse it.
So the index and download routes check the token first and hand over to textual-serve;
the websocket route is rewritten around a check, with an ``AppService`` that reports the
process it starts, so that a stop of the server can end every console.

A console is ``python -m tui_lstm`` (this interpreter) with the console flags given to
serve, in the working directory serve was started in (so it saves into the same runs
folder as a console started by hand). textual-serve tells it to draw for
the browser through the environment: its ``TEXTUAL_DRIVER`` is
``textual.drivers.web_driver:WebDriver``, and it talks through pipes, not a terminal.
The server itself imports textual-serve (aiohttp, jinja2), never textual: only the
consoles it starts draw (tests/test_import_hygiene.py).
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import signal
import socket
import sys
from asyncio.subprocess import Process
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import textual_serve
from aiohttp import WSCloseCode, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from tui_lstm.serve.auth import Gate, new_token, origin_of

TEMPLATES = Path(__file__).parent / "templates"  # app.html: no fonts or scripts from the internet
STATIC = Path(textual_serve.__file__).parent / "static"  # textual.js, xterm.css and Roboto Mono, shipped with it
STOP_SECONDS = 5.0  # a console's time to quit on its own when the server stops, before it is killed
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
WILDCARD = {"0.0.0.0", "::", ""}

log = logging.getLogger("tui_lstm.serve")


class ServeError(Exception):
    """Why serving cannot start (a host that cannot be bound, a port in use): one line."""


def console_flags(preset: str | None, settings: dict[str, Any]) -> list[str]:
    """Command-line flags that give a console these settings (values as parsed: bool, int, float, str)."""
    flags = ["--preset", preset] if preset else []
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else flag.replace("--", "--no-", 1))
        else:
            flags += [flag, repr(value) if isinstance(value, float) else str(value)]
    return flags


def console_command(flags: list[str]) -> str:
    """The shell command textual-serve runs for a browser tab; ``exec``, so that the
    process it starts (and signals) is the console itself, not a shell."""
    return "exec " + shlex.join([sys.executable, "-m", "tui_lstm", *flags])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before anything is printed: a bad host or a port in use
    is one line, not a traceback after a URL that leads nowhere."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        return socket.create_server(address[:2], family=family)
    except OSError as error:  # socket.gaierror is one
        raise ServeError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


def default_public_url(host: str, port: int) -> str:
    """Where browsers reach the server: its own address, or for a wildcard bind (0.0.0.0),
    which no browser can connect to, this machine's name."""
    name = socket.gethostname() if host in WILDCARD else host
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


class Console(AppService):
    """textual-serve's console process, which tells the server when it has started one."""

    def __init__(self, command: str, *, started, **kwargs):
        super().__init__(command, **kwargs)
        self.started = started

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        process = await super()._open_app_process(width, height)
        self.started(process)
        return process


class ConsoleServer(Server):
    """textual-serve's server, whose console routes answer only to the gate."""

    def __init__(self, command: str, gate: Gate, title: str = "tui-lstm"):
        _, host, port = origin_of(gate.public_url)
        super().__init__(
            command, host=host, port=port, title=title, public_url=gate.public_url.rstrip("/"),
            statics_path=STATIC, templates_path=TEMPLATES,
        )  # fmt: skip
        self.gate = gate
        self.consoles_started = 0  # how many console processes were ever started
        self.consoles: set[Process] = set()  # the live ones
        self.websockets: set[web.WebSocketResponse] = set()

    def refuse(self, request: web.Request, reason: str) -> web.HTTPForbidden:
        log.warning("refused %s %s from %s: %s", request.method, request.path, request.remote, reason)
        return web.HTTPForbidden(text=f"403: {reason}\n")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page: with ``?token=``, the cookie and a redirect to the clean URL; with the
        cookie, the console's page; else, or asked for from another origin, 403."""
        if origin_of(f"{request.scheme}://{request.host}") != origin_of(self.public_url):
            raise self.refuse(request, f"this console is served at {self.public_url} (or serve with --public-url)")
        origin = request.headers.get("Origin")  # a navigation has none; another page's fetch has its own
        if origin is not None and origin_of(origin) != origin_of(self.public_url):
            raise self.refuse(request, f"origin {origin} is not {self.public_url}")
        query = request.query.copy()
        given = query.popall("token", None)
        if given is not None:
            if len(given) != 1 or not self.gate.token_matches(given[0]):
                raise self.refuse(request, "wrong token")
            clean = request.path + (f"?{urlencode(list(query.items()))}" if query else "")
            redirect = web.HTTPSeeOther(clean)
            redirect.set_cookie(
                self.gate.cookie_name, self.gate.token, path="/", httponly=True, samesite="Strict",
                secure=self.gate.secure,
            )  # fmt: skip
            raise redirect
        if not self.gate.token_matches(request.cookies.get(self.gate.cookie_name)):
            raise self.refuse(request, "no token: open the URL that tui-lstm serve printed")
        websocket_url = self.public_url.replace("http", "ws", 1) + str(request.app.router["websocket"].url_for())
        context = {
            "title": self.title,
            "static_url": self.public_url + str(request.app.router["static"].url_for(filename="/")).rstrip("/"),
            "websocket_url": websocket_url,
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
        }
        response = aiohttp_jinja2.render_template("app.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        reason = self.gate.refusal(request.headers, request.cookies, navigation=True)
        if reason:
            raise self.refuse(request, reason)
        return await super().handle_download(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's websocket route, behind the gate: a refused request gets 403
        before the handshake, and no console is started for it."""
        reason = self.gate.refusal(request.headers, request.cookies)
        if reason:
            raise self.refuse(request, reason)
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        console = Console(
            self.command,
            started=self._started,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.websockets.add(websocket)
        try:
            await console.start(
                to_int(request.query.get("width", "80"), 80), to_int(request.query.get("height", "24"), 24)
            )
            await self._process_messages(websocket, console)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # the one console's failure, not the server's
            log.exception(error)
        finally:
            self.websockets.discard(websocket)
            await console.stop()
        return websocket

    def _started(self, process: Process) -> None:
        self.consoles_started += 1
        self.consoles.add(process)
        log.info("console %d started (%d running)", process.pid, len(self.consoles))
        asyncio.ensure_future(process.wait()).add_done_callback(lambda _: self._ended(process))

    def _ended(self, process: Process) -> None:
        self.consoles.discard(process)
        log.info("console %d ended (%d running)", process.pid, len(self.consoles))

    async def on_startup(self, app: web.Application) -> None:
        """Nothing to print: ``serve`` has said where to go (textual-serve prints a logo)."""

    async def on_shutdown(self, app: web.Application) -> None:
        """End every console: asked to quit (SIGTERM, which the console answers as ``q``),
        killed if it has not within ``STOP_SECONDS``; then close their websockets."""
        consoles = [process for process in self.consoles if process.returncode is None]
        for process in consoles:
            process.terminate()
        if consoles:
            await asyncio.wait([asyncio.ensure_future(p.wait()) for p in consoles], timeout=STOP_SECONDS)
            for process in consoles:
                if process.returncode is None:
                    process.kill()
        for websocket in list(self.websockets):
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")


def serve(
    flags: list[str], host: str = "127.0.0.1", port: int = 8000, token: str | None = None, public_url: str | None = None
) -> int:
    """Serve the console with these flags until Ctrl+C (exit 130) or SIGTERM (143)."""
    if public_url is not None and origin_of(public_url) is None:
        raise ServeError(f"--public-url {public_url!r} is not an http(s) URL")
    listening = bind(host, port)
    port = listening.getsockname()[1]  # --port 0: the one the system chose
    gate = Gate(token or new_token(), public_url or default_public_url(host, port))
    server = ConsoleServer(console_command(flags), gate)
    logging.basicConfig(level=logging.WARNING, format="tui-lstm serve: %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)  # consoles started and ended, requests refused; textual-serve's only if wrong
    print(f"tui-lstm serve: open {gate.login_url}", flush=True)
    if host in LOOPBACK:
        target = f"[{host}]" if ":" in host else host
        print(f"  from another machine, tunnel first: ssh -L {port}:{target}:{port} {socket.gethostname()}", flush=True)
    print("  Ctrl+C stops the server and its consoles", flush=True)

    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        raise GracefulExit()

    loop = asyncio.new_event_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    web.run_app(  # closes the loop
        server._make_app(), sock=listening, handle_signals=False, loop=loop, print=None, access_log=None,
        shutdown_timeout=STOP_SECONDS,
    )  # fmt: skip
    return 128 + received[0] if received else 0

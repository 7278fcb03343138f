"""Who may start and talk to a served console: the holder of the token, from the served page.

The token is shown once, in the URL printed at start; the page trades it for an
HttpOnly, SameSite=Strict cookie (scripts cannot read it, other sites cannot send it) and
redirects to the clean URL, so the token leaves the address bar and the history. The
routes that start a console or hand out its files want that cookie, compared in constant
time, and a request from the served origin: a page elsewhere that learnt the port (or
rebinds a name of its own to 127.0.0.1) is refused, token or not. Plain functions of
headers and cookies, so they are tested without a server.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
TOKEN_ENV = "TUI_LSTM_TOKEN"  # a fixed token, out of sight of ps (a command line is not)
MIN_TOKEN_LENGTH = 16  # a fixed token shorter than this is refused: it could be guessed


def new_token() -> str:
    """A token no one guesses: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_refusal(token: str, given_in: str) -> str | None:
    """Why a fixed token will not do, in one line, or None if it will."""
    if len(token) < MIN_TOKEN_LENGTH:
        return f"{given_in}: a token needs at least {MIN_TOKEN_LENGTH} characters, not {len(token)}"
    return None


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL or an Origin header, default ports made explicit, so
    ``http://h`` and ``http://h:80`` are one origin; None for what is not an origin ("null")."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


@dataclass(frozen=True)
class Gate:
    """The token and the origin a served console answers to."""

    token: str
    public_url: str  # what browsers load the page from, e.g. http://127.0.0.1:8000

    @property
    def cookie_name(self) -> str:
        # one per port: cookies are not kept apart by port, and two serves on one host
        # would otherwise overwrite each other's
        return f"tui_lstm_token_{origin_of(self.public_url)[2]}"

    @property
    def login_url(self) -> str:
        """The URL to print: the token percent-encoded whole, so that a fixed token's ``+``
        (a space in a query), ``#`` (where a URL ends) or ``%41`` (an escaped A) reaches the
        page as given: the page's query decodes it back to the token."""
        return f"{self.public_url.rstrip('/')}/?token={quote(self.token, safe='')}"

    @property
    def secure(self) -> bool:
        """Whether the cookie may travel over https only."""
        return origin_of(self.public_url)[0] == "https"

    def token_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def refusal(
        self, headers: Mapping[str, str], cookies: Mapping[str, str], *, navigation: bool = False
    ) -> str | None:
        """Why a request to a console's route is refused, or None if it may go on.

        A browser sends Origin with every websocket handshake, so there it must be there
        and be the served origin. A download is a navigation (textual.js opens it in a new
        tab), which carries no Origin; there a same-origin ``Sec-Fetch-Site`` stands in."""
        if not self.token_matches(cookies.get(self.cookie_name)):
            return "no valid token cookie: open the URL that tui-lstm serve printed"
        origin = headers.get("Origin")
        if origin is None and navigation and headers.get("Sec-Fetch-Site") == "same-origin":
            return None
        if origin is None:
            return "no Origin header"
        if origin_of(origin) != origin_of(self.public_url):
            return f"origin {origin} is not {self.public_url}"
        return None

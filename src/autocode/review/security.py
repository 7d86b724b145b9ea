"""The review server's gate: a per-session token on every request, and strict headers.

The URL the command prints carries `?token=...`. The first request with a valid token gets an
HttpOnly, SameSite=Strict cookie and a redirect to the same page without the token (so it leaves
the address bar and the history); every other request, pages and JSON alike, needs that cookie
or an `X-Autocode-Token` header, compared in constant time, else 403. Another web page cannot
send the cookie (SameSite=Strict) or read the token, and another local user does not have it.
POSTs must be JSON, which a cross-site form cannot send. Every response carries a
Content-Security-Policy that allows only this server's own scripts and styles.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_HEADER = "x-autocode-token"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def cookie_name(port: int) -> str:
    """Cookies ignore ports: two review servers on one machine need two cookie names."""
    return f"autocode_review_{port}"


class TokenGate:
    """ASGI middleware: refuse requests without the session token; add the security headers."""

    def __init__(self, app: ASGIApp, token: str, cookie: str) -> None:
        self.app = app
        self._token = token.encode()
        self._cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value for key, value in scope["headers"]}
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        supplied = [value for key, value in query if key == "token"]
        if supplied:
            if not self._valid(supplied[0].encode()):
                await _plain(send, 403, "forbidden: wrong token")
                return
            rest = urlencode([(key, value) for key, value in query if key != "token"])
            await _login(send, scope["path"] + (f"?{rest}" if rest else ""), self._set_cookie())
            return
        if not self._valid(headers.get(TOKEN_HEADER, b"")) and not self._valid(
            self._cookie_value(headers.get("cookie", b""))
        ):
            await _plain(send, 403, "forbidden: open the address `autocode review` printed")
            return
        if scope["method"] == "POST" and not headers.get("content-type", b"").startswith(
            b"application/json"
        ):
            await _plain(send, 415, "POST requests must be JSON")
            return
        await self.app(scope, receive, _with_headers(send))

    def _valid(self, supplied: bytes) -> bool:
        return bool(supplied) and hmac.compare_digest(supplied, self._token)

    def _cookie_value(self, header: bytes) -> bytes:
        cookies = SimpleCookie()
        try:
            cookies.load(header.decode("latin-1"))
        except Exception:  # a malformed Cookie header is simply no cookie
            return b""
        morsel = cookies.get(self._cookie)
        return morsel.value.encode() if morsel is not None else b""

    def _set_cookie(self) -> bytes:
        return (
            f"{self._cookie}={self._token.decode()}; Path=/; HttpOnly; SameSite=Strict"
        ).encode()


def _with_headers(send: Send) -> Send:
    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
        await send(message)

    return sender


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _login(send: Send, location: str, cookie: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("latin-1")),
                (b"set-cookie", cookie),
                (b"content-length", b"0"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})

"""Who may use the review page: only the browser of the TA who started it, on this machine.

``Guard`` wraps the whole application (pages, partial updates and static files alike):

- the ``Host`` header must be ``127.0.0.1:PORT`` or ``localhost:PORT``: a page on another
  site whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name and is refused
  (400);
- every request carries the random token (``secrets.compare_digest``), or gets 403 and
  nothing else. A GET may carry it as ``?token=`` (the URL printed at start: the answer sets
  an HttpOnly, SameSite=Strict cookie and redirects to the same URL without the token), in
  the cookie, or in the ``X-Review-Token`` header; a POST (it changes the gradebook) only in
  the header, which the page's htmx requests send and another site cannot (CSRF);
- every answer forbids framing, sniffing, caching, referrers and any script or style not
  served by the page itself (Content-Security-Policy), so student text, escaped anyway,
  could not run even if it slipped through.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["TOKEN_HEADER", "TOKEN_QUERY", "Guard", "cookie_name"]

TOKEN_HEADER = "X-Review-Token"
TOKEN_QUERY = "token"
_READ_ONLY = frozenset({"GET", "HEAD"})
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_FORBIDDEN = (
    "403 forbidden: open the review page with the URL that `grader review --serve` printed "
    "(it carries the page's token)"
)


def cookie_name(port: int) -> str:
    """The token cookie of the page on ``port`` (cookies ignore ports: two pages on one
    machine would otherwise overwrite each other's)."""
    return f"review_token_{port}"


class Guard:
    """ASGI middleware: the Host check, the token check and the security headers."""

    def __init__(self, app: ASGIApp, *, token: str, port: int) -> None:
        self.app = app
        self.token = token
        self.port = port
        self.hosts = frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})
        self.cookie = cookie_name(port)

    def _matches(self, candidate: str | None) -> bool:
        return candidate is not None and secrets.compare_digest(
            candidate.encode("utf-8", "surrogateescape"), self.token.encode()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets here
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope)
        response = self._refusal(request)
        if response is None:
            await self.app(scope, receive, self._with_headers(send))
            return
        await response(scope, receive, self._with_headers(send))

    def _refusal(self, request: Request) -> Response | None:
        """The answer to a request that is not let through (None: let it through)."""
        host = request.headers.get("host", "").lower()
        if host not in self.hosts:
            return PlainTextResponse(
                f"400 bad Host header {host!r}: open the page at 127.0.0.1:{self.port}",
                status_code=400,
            )
        header = request.headers.get(TOKEN_HEADER)
        if request.method not in _READ_ONLY:
            return None if self._matches(header) else PlainTextResponse(_FORBIDDEN, 403)
        query = request.query_params.get(TOKEN_QUERY)
        if self._matches(query):
            return self._set_cookie(request)
        if self._matches(header) or self._matches(request.cookies.get(self.cookie)):
            return None
        return PlainTextResponse(_FORBIDDEN, 403)

    def _set_cookie(self, request: Request) -> Response:
        """The token cookie, and the same URL again without the token in it."""
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_QUERY]
        url = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            self.cookie, self.token, httponly=True, samesite="strict", path="/", secure=False
        )
        return response

    def _with_headers(self, send: Send) -> Send:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        return send_with_headers

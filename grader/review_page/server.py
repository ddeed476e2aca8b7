"""Serving the review page: on 127.0.0.1 only, with a random token in the URL, as Jupyter
does; ``grader review EXAM --out DIR --serve [--port P]`` calls ``serve``."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from grader.errors import InfrastructureError
from grader.loading import LoadedExam
from grader.review_page.app import create_app
from grader.text_model import LoadedModel, text_model

__all__ = ["HOST", "serve"]

HOST = "127.0.0.1"
"""The only address the page listens on: nobody but this machine's users reaches it."""


def _listen(port: int | None) -> socket.socket:
    """A socket listening on ``HOST:port`` (a free port when None), bound before the URL is
    printed, so no other program can take the port in between."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port or 0))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise InfrastructureError(
            f"cannot listen on {HOST}:{port}: {exc.strerror}; choose another --port, or leave "
            "it out to take a free one"
        ) from None
    return sock


def serve(
    exam: LoadedExam,
    gradebook_path: Path,
    out: Path,
    *,
    port: int | None = None,
    reviewer: str = "ta",
    echo: Callable[[str], None] = lambda line: print(line, flush=True),
) -> int:
    """Serve the review page of ``exam`` until Ctrl+C (or SIGTERM); returns 0.

    Loads the text model once (the keyword rubric when it is missing, said in the page's
    header), prints the URL with a fresh token, and on stopping rewrites the reports in
    ``out`` once more, so the feedback pages hold every decision.
    """
    loaded = text_model()
    matcher = loaded.matcher if isinstance(loaded, LoadedModel) else loaded
    token = secrets.token_urlsafe(32)
    sock = _listen(port)
    port = int(sock.getsockname()[1])
    app = create_app(
        exam, gradebook_path, token=token, port=port, text=loaded, reviewer=reviewer, out=out
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    echo(f"Review page of {exam.exam.exam} ({matcher.describe()}).")
    echo(f"Decisions go to {gradebook_path} as soon as they are made.")
    echo("To review, open this URL in a browser on this machine (it carries the page's token):")
    echo(f"    http://{HOST}:{port}/?token={token}")
    echo(f"Press Ctrl+C to stop; the reports in {out} are rewritten then.")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl+C stops the page: uvicorn raises it again once it has shut down
    finally:
        sock.close()
    echo(f"Review page stopped; the reports in {out} hold every decision.")
    return 0

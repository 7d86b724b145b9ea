"""The review web app: a thin Starlette layer over one ReviewSession.

Each handler parses the request, makes one library call on the session's own worker thread (the
only thread that touches the project store, so there is exactly one writer) and returns JSON or
a template. A decision's response is sent after the store committed it, and carries the next
card, so the browser never shows a card before the previous answer is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import webbrowser
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from autocode.errors import InputError
from autocode.review.cards import Card, answer_from_dict
from autocode.review.inputs import ReviewSetup
from autocode.review.security import TokenGate, cookie_name, new_token
from autocode.review.session import Outcome, ReviewSession
from autocode.store.decisions import StaleUnitError

T = TypeVar("T")
LOOPBACK = "127.0.0.1"
KEYS = (
    ("a / Enter", "accept the suggestion"),
    ("r", "reject it"),
    ("1-9", "recode to that code"),
    ("/", "search all codes"),
    ("n", "no code applies"),
    ("s", "skip for now"),
    ("f", "flag with a memo"),
    ("+", "add a new code"),
    ("u / Backspace", "undo the last decision"),
)


class SessionWorker:
    """One thread that owns the session (its SQLite connection is check_same_thread)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autocode-review")
        self.session: ReviewSession | None = None

    def open_setup(self, setup: ReviewSetup, **options: Any) -> ReviewSession:
        """Open the session on the worker thread (InputError etc. are raised here)."""
        self.session = self._executor.submit(lambda: ReviewSession.start(setup, **options)).result()
        return self.session

    def run(self, call: Callable[[ReviewSession], T]) -> T:
        """Run `call(session)` on the worker thread and wait (for code outside the server)."""
        return self._executor.submit(call, self._session()).result()

    async def call(self, call: Callable[[ReviewSession], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, call, self._session())

    def close(self) -> None:
        if self.session is not None:
            self._executor.submit(self.session.close).result()
        self._executor.shutdown()

    def _session(self) -> ReviewSession:
        if self.session is None:
            raise RuntimeError("the review session is not open")
        return self.session


def create_app(worker: SessionWorker, token: str, port: int) -> TokenGate:
    templates = Jinja2Templates(
        env=jinja2.Environment(
            loader=jinja2.PackageLoader("autocode.review", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
    )
    static = StaticFiles(packages=[("autocode.review", "static")])

    async def page(request: Request) -> Response:
        session = worker.session
        assert session is not None
        return templates.TemplateResponse(
            request,
            "review.html",
            {"keys": KEYS, "reviewer": session.setup.reviewer, "order": session.setup.order},
        )

    async def flagged(request: Request) -> Response:
        rows = await worker.call(lambda session: session.flagged())
        return templates.TemplateResponse(request, "flagged.html", {"rows": rows})

    async def card(request: Request) -> Response:
        query = request.query_params
        transcript_id, unit_index = query.get("transcript_id"), query.get("unit_index")
        try:
            index = int(unit_index) if unit_index is not None else None
        except ValueError:
            return _error(400, "unit_index must be a number")
        try:
            view = await worker.call(
                lambda session: _view(session, session.card(transcript_id, index))
            )
        except KeyError as error:
            return _error(404, str(error.args[0]))
        return JSONResponse(view)

    async def decide(request: Request) -> Response:
        try:
            body = await request.json()
            answer = answer_from_dict(body["answer"])
            new_code = body.get("new_code")
            options = {
                "code": body.get("code"),
                "memo": str(body.get("memo") or ""),
                "client_id": str(body["client_id"]),
                "new_code": None
                if not new_code
                else (str(new_code["name"]), str(new_code.get("definition") or "")),
            }
            action = str(body["action"])
        except (KeyError, TypeError, ValueError) as error:
            return _error(400, f"malformed decision: {error}")
        return await _outcome(worker, lambda session: session.decide(answer, action, **options))

    async def undo(request: Request) -> Response:
        try:
            client_id = str((await request.json())["client_id"])
        except (KeyError, TypeError, ValueError) as error:
            return _error(400, f"malformed undo: {error}")
        return await _outcome(worker, lambda session: session.undo(client_id))

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    async def progress(request: Request) -> Response:
        return JSONResponse(await worker.call(lambda session: session.progress()))

    async def finish(request: Request) -> Response:
        done = await worker.call(lambda session: session.finish())
        return JSONResponse(
            {
                "coder": done.coder,
                "units": done.units,
                "codings": done.codings,
                "line": done.estimate_line,
            }
        )

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/flagged", flagged),
            Route("/api/card", card),
            Route("/api/decide", decide, methods=["POST"]),
            Route("/api/undo", undo, methods=["POST"]),
            Route("/api/progress", progress),
            Route("/api/status", progress),
            Route("/api/finish", finish, methods=["POST"]),
            Route("/favicon.ico", favicon),
            Mount("/static", static, name="static"),
        ]
    )
    return TokenGate(app, token, cookie_name(port))


async def _outcome(worker: SessionWorker, call: Callable[[ReviewSession], Outcome]) -> Response:
    def run(session: ReviewSession) -> dict[str, Any]:
        outcome = call(session)
        decision = outcome.decision
        return {
            "decision": None
            if decision is None
            else {"id": decision.id, "action": decision.action, "codes": list(decision.codes)},
            "stored": outcome.stored,
            **_view(session, outcome.card),
        }

    try:
        return JSONResponse(await worker.call(run))
    except StaleUnitError as error:
        return _error(409, str(error))
    except ValueError as error:
        return _error(400, str(error))


def _view(session: ReviewSession, card: Card | None) -> dict[str, Any]:
    """A card with what the page shows beside it: the codebook and the progress panel."""
    return {
        "card": None if card is None else card.to_dict(),
        "codes": [
            {"id": code.id, "name": code.name, "definition": code.definition}
            for code in session.codes()
        ],
        "progress": session.progress(),
    }


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: a free port); OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # A port left in TIME_WAIT by a killed server can be reused; one with a listener cannot.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(worker: SessionWorker, sock: socket.socket, token: str) -> None:
    """Serve until Ctrl-C / SIGTERM (uvicorn's own signal handling), then return."""
    import uvicorn

    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(worker, token, port),
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        date_header=False,
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_review(
    setup: ReviewSetup,
    *,
    host: str = LOOPBACK,
    port: int = 0,
    open_browser: bool = True,
    announce: Callable[[str], None] = print,
    **options: Any,
) -> None:
    """Bind host:port (InputError when taken, before anything is written), open the session,
    announce the address with its token, and serve until Ctrl-C or SIGTERM."""
    try:
        sock = bind(host, port)
    except OSError as error:
        raise InputError(
            f"{host}:{port}",
            f"cannot listen there ({error.strerror or error}); pick another --port, or leave "
            "it out for a free one",
        ) from None
    worker = SessionWorker()
    try:
        session = worker.open_setup(setup, **options)
        token = new_token()
        bound = sock.getsockname()[1]
        url = f"http://{_url_host(host)}:{bound}/?token={token}"
        announce(
            f"Reviewing {len(session.pool)} units of {setup.project_dir} as {setup.reviewer} "
            f"with {setup.model.coder} (codebook {setup.codebook!r}, order {setup.order})."
        )
        if host not in (LOOPBACK, "localhost", "::1"):
            announce(
                f"warning: listening on {host}, not only on this machine; keep the token secret"
            )
        announce(f"Open {url}  (Ctrl-C stops the server; every decision is already saved)")
        if open_browser:
            webbrowser.open(url)
        # uvicorn shuts down on Ctrl-C / SIGTERM, then raises it again: that is the normal end.
        with contextlib.suppress(KeyboardInterrupt):
            serve(worker, sock, token)
        announce("Review stopped.")
    finally:
        sock.close()
        worker.close()


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return LOOPBACK
    return f"[{host}]" if ":" in host else host

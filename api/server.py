"""``relex serve``: the API under uvicorn, on 127.0.0.1:8000 unless the settings say otherwise.

At start it prints the page's URL with the access token in it (``?token=...``), as Jupyter
does: the token is RELEX_API_TOKEN, or a fresh random one when that is unset. Binding an address
other than loopback is warned about, since anyone who can reach it can then use the server.
"""

from __future__ import annotations

import contextlib
import logging

import typer
import uvicorn
from fastapi import FastAPI

from relex.api.app import create_app
from relex.api.auth import is_loopback
from relex.api.settings import Settings
from relex.queries.lock import serving_address

log = logging.getLogger(__name__)


def base_url(settings: Settings) -> str:
    """The server's address for a client on this machine."""
    host = settings.api_host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{settings.api_port}"


def page_url(settings: Settings, token: str) -> str:
    """The page's address with the token, for a browser on this machine."""
    return f"{base_url(settings)}/?token={token}"


def announce(app: FastAPI, settings: Settings) -> None:
    """Warn about a non-loopback address; print the page's URL with its token."""
    if not is_loopback(settings.api_host):
        log.warning(
            "binding %s: the server is reachable from other machines; anyone who can reach the "
            "port can query the graph and request renders (jobs still need the token). Requests "
            "must name a trusted host: set RELEX_TRUSTED_HOSTS to this machine's name.",
            settings.api_host,
        )
    token: str = app.state.relex.token
    made = "" if settings.api_token is not None else " (a new token: RELEX_API_TOKEN is unset)"
    typer.echo(f"relex serve: open {page_url(settings, token)}{made}", err=True)


def serve(settings: Settings) -> None:
    """Run the app until interrupted (blocking); one process, so it owns the embedded store,
    and leaves its address beside it so that ``relex query`` and ``relex cypher`` ask it. The
    socket listens before the address is left: a command that reads it is answered, its
    connection waiting in the backlog while uvicorn starts."""
    app = create_app(settings)
    announce(app, settings)
    store = settings.store_settings()
    config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port)
    server = uvicorn.Server(config)
    address = (
        serving_address(store.path, base_url(settings))
        if store.backend == "embedded"
        else contextlib.nullcontext()
    )
    with contextlib.closing(config.bind_socket()) as listening:  # exits 1 with uvicorn's reason
        listening.listen()
        with address, contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[listening])
    if not server.started:
        raise SystemExit(1)

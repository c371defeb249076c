"""``relex serve``: the API and the web page under uvicorn (see :mod:`api.server`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address (default: $RELEX_API_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: $RELEX_API_PORT).")
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Embedded store file (default: $RELEX_STORE_PATH).")
    ] = None,
) -> None:
    """Serve the API and the web page (127.0.0.1:8000 by default) over the graph store; prints
    the page's URL with its access token."""
    from relex.api.server import serve
    from relex.api.settings import get_settings

    changes: dict[str, object] = {"api_host": host, "api_port": port, "store_path": store}
    settings = get_settings().model_copy(
        update={key: value for key, value in changes.items() if value is not None}
    )
    serve(settings)

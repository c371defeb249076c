"""``relex serve``: the API under uvicorn, on 127.0.0.1:8000 unless the settings say otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from queries.settings import Settings, get_settings


def serve(settings: Settings) -> None:
    """Run the app until interrupted (blocking); one process, so it owns the embedded store."""
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address (default: $RELEX_API_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: $RELEX_API_PORT).")
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Embedded store file (default: $RELEX_STORE_PATH).")
    ] = None,
) -> None:
    """Serve the API and the web page (127.0.0.1:8000 by default) over the graph store."""
    changes: dict[str, object] = {"api_host": host, "api_port": port, "store_path": store}
    settings = get_settings().model_copy(
        update={key: value for key, value in changes.items() if value is not None}
    )
    serve(settings)

"""``relex serve`` leaves its address beside the store only once its socket listens: a command
that reads the address while uvicorn is still starting waits in the backlog and is answered,
rather than refused (as happened on a loaded machine)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from relex.api.server import serve
from relex.queries.embedded import EmbeddedStore
from relex.queries.lock import holder_address
from tests.api.conftest import settings_for
from tests.helpers import free_port

SLOW_START_S = 1.0


def test_the_address_is_answered_as_soon_as_it_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "graph.kuzu"
    with EmbeddedStore(store) as empty:
        empty.create_schema()
    servers: list[uvicorn.Server] = []
    startup = uvicorn.Server.startup

    async def slow_startup(self: uvicorn.Server, *args: Any, **kwargs: Any) -> None:
        servers.append(self)
        time.sleep(SLOW_START_S)  # a loaded machine: uvicorn binds its sockets in startup
        await startup(self, *args, **kwargs)

    monkeypatch.setattr(uvicorn.Server, "startup", slow_startup)
    settings = settings_for(
        tmp_path / "data",
        RELEX_STORE_PATH=str(store),
        RELEX_API_PORT=str(free_port()),
        RELEX_TRUSTED_HOSTS="127.0.0.1",
    )
    thread = threading.Thread(target=serve, args=(settings,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while (url := holder_address(store)) is None:
            assert thread.is_alive() and time.monotonic() < deadline, "relex serve did not start"
            time.sleep(0.005)
        with urllib.request.urlopen(f"{url}/api/runs", timeout=30) as response:
            assert json.load(response) == []
    finally:
        deadline = time.monotonic() + 60
        while not servers and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        for server in servers:  # none if serve stopped before uvicorn started
            server.should_exit = True
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert holder_address(store) is None

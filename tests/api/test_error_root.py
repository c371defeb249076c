"""One error root: every error class of the project descends from ``UserError`` (which the graph
layer owns), the layers' roots ``StoreError`` and ``RelexError`` keep their names, and the API
answers any of them from the one handler with the status it gave before."""

from __future__ import annotations

import importlib
import sys

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from relex.api import errors
from relex.ingest.errors import RelexError
from relex.queries.errors import NotFoundError, StoreError, UserError

EDGES = (
    "relex.cli",
    "relex.cli_remote",
    "relex.api.app",
    "relex.ingest.launch",
    "relex.queries.analysis",
    "relex.queries.neo4j_store",
)
"""Modules whose imports, between them, load every layer's errors."""


def _project_errors() -> list[type[BaseException]]:
    for name in EDGES:
        importlib.import_module(name)
    return [
        value
        for name, module in sorted(sys.modules.items())
        if name.startswith("relex.")
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == name
        and not value.__name__.startswith("_")
    ]


def test_every_error_of_the_project_descends_from_the_one_root() -> None:
    found = _project_errors()
    assert {StoreError, RelexError, UserError} <= set(found)
    assert len(found) > 20
    # an HTTPException subclass is the web framework's own answer, not a library error
    outside = [
        kind.__qualname__ for kind in found if not issubclass(kind, (UserError, HTTPException))
    ]
    assert outside == []
    assert issubclass(StoreError, UserError) and issubclass(RelexError, UserError)
    assert not issubclass(StoreError, RelexError) and not issubclass(RelexError, StoreError)


class _OtherLayerError(UserError):
    """An error of neither layer's root: the one handler answers it too."""


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (StoreError("bad store"), 400),
        (NotFoundError("no such run"), 404),
        (RelexError("bad image"), 422),
        (_OtherLayerError("bad thing"), 400),
    ],
)
def test_the_one_handler_answers_every_layer_with_its_status(error: UserError, code: int) -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/fail")
    def fail() -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).get("/fail")
    assert response.status_code == code
    assert response.json() == {"detail": str(error)}

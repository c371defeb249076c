"""What every request shares: settings, the store, the renderer and the job manager, reached
through ``Annotated`` dependencies."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from api.jobs import JobManager
from api.renders import Renderer
from queries import GraphStore
from queries.settings import Settings


@dataclass
class ApiState:
    """The process-wide parts of the API."""

    settings: Settings
    store: GraphStore
    renderer: Renderer
    jobs: JobManager
    owns_store: bool


def get_state(request: Request) -> ApiState:
    """The app's shared state."""
    state: ApiState = request.app.state.relex
    return state


State = Annotated[ApiState, Depends(get_state)]


def get_store(state: State) -> GraphStore:
    """The app's graph store."""
    return state.store


Store = Annotated[GraphStore, Depends(get_store)]


def require_token(state: State, authorization: Annotated[str | None, Header()] = None) -> None:
    """When RELEX_API_TOKEN is set, the request must carry ``Authorization: Bearer <token>``:
    401 without one, 403 with a wrong one."""
    token = state.settings.api_token
    if token is None:
        return
    if not authorization:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this server needs a bearer token to start or cancel jobs (RELEX_API_TOKEN is set): "
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        given.strip().encode(), token.get_secret_value().encode()
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the bearer token is not this server's")


Authorized = Depends(require_token)

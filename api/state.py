"""What every request shares: settings, the store, the runs service, the renderer and the job
manager, reached through ``Annotated`` dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from relex.api.jobs import JobManager
from relex.api.renders import Renderer
from relex.api.runs import RunService
from relex.api.settings import Settings
from relex.queries import GraphStore


@dataclass
class ApiState:
    """The process-wide parts of the API."""

    settings: Settings
    store: GraphStore
    runs: RunService
    renderer: Renderer
    jobs: JobManager
    owns_store: bool
    token: str
    """The access token: RELEX_API_TOKEN, or one made when the app was created."""


def get_state(request: Request) -> ApiState:
    """The app's shared state."""
    state: ApiState = request.app.state.relex
    return state


State = Annotated[ApiState, Depends(get_state)]


def get_store(state: State) -> GraphStore:
    """The app's graph store."""
    return state.store


Store = Annotated[GraphStore, Depends(get_store)]

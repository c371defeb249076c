"""The FastAPI application: query results, renders, the Cypher console and ingest jobs over one
graph store, and the web page at ``/``."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from relex.api import auth, docs, errors, roots
from relex.api.jobs import JobManager
from relex.api.limits import BodyLimitMiddleware
from relex.api.renders import Renderer
from relex.api.routes import classview, cypher, jobs, queries, renders
from relex.api.routes.renders import MAX_UPLOAD_BYTES
from relex.api.runs import RunService
from relex.api.schemas import ERRORS
from relex.api.settings import Settings, get_settings
from relex.api.state import ApiState
from relex.queries import GraphStore, open_store

WEB = Path(__file__).with_name("web")
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
"""The largest request body: an upload at its limit and its multipart framing."""


class FiniteJSONResponse(JSONResponse):
    """JSON without NaN or infinities (JSON has none): such floats are sent as null."""

    def render(self, content: Any) -> bytes:
        return super().render(_finite(content))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """The app over ``store`` (default: the store ``settings`` name, opened now and closed when
    the app shuts down); a writable store gets the schema if it has none yet. Without
    RELEX_API_TOKEN the app makes a token of its own (``app.state.relex.token``)."""
    chosen = settings if settings is not None else get_settings()
    owns_store = store is None
    graph = store if store is not None else open_store(chosen.store_settings())
    if not graph.read_only:
        graph.create_schema()
    folders = roots.data_roots(chosen)
    runs = RunService(graph, device=chosen.device, roots=folders)
    state = ApiState(
        settings=chosen,
        store=graph,
        runs=runs,
        renderer=Renderer(runs),
        jobs=JobManager(
            graph,
            chosen.data_dir / "jobs",
            max_running=chosen.max_jobs,
            check=lambda options: roots.check_job(options, folders),
        ),
        owns_store=owns_store,
        token=chosen.api_token.get_secret_value() if chosen.api_token else auth.new_token(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if state.owns_store:
            state.store.close()

    app = FastAPI(
        title="relevance-explorer",
        summary="LRP relevance as a graph: queries, subgraph heatmaps, deconvolutions, jobs.",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=FiniteJSONResponse,
        responses=ERRORS,
        docs_url=None,
        redoc_url=None,
    )
    app.state.relex = state
    errors.install(app)
    docs.install(app)
    app.add_middleware(BodyLimitMiddleware, limit=MAX_BODY_BYTES)
    hosts = auth.trusted_hosts(chosen.api_host, chosen.trusted_hosts)
    app.add_middleware(auth.TrustedHostMiddleware, allowed=hosts)
    for module in (queries, classview, renders, cypher, jobs):
        app.include_router(module.router)
    if WEB.is_dir():
        app.mount("/", StaticFiles(directory=WEB, html=True), name="web")
    return app

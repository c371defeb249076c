"""Library errors as HTTP answers: a status and ``{"detail": reason}``, never a traceback."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from starlette.types import Send

from relex.api.jobs import JobConflictError, JobLimitError
from relex.api.roots import OutsideRootsError
from relex.ingest.errors import RelexError
from relex.queries.errors import (
    NotFoundError,
    OutdatedGraphError,
    QueryTimeoutError,
    StoreError,
    StoreInUseError,
    UserError,
    WriteRefusedError,
)


class UploadError(RelexError):
    """An upload that is too large (413), not an image (415) or empty (422)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (NotFoundError, status.HTTP_404_NOT_FOUND),
    (WriteRefusedError, status.HTTP_403_FORBIDDEN),
    (QueryTimeoutError, status.HTTP_408_REQUEST_TIMEOUT),
    (StoreInUseError, status.HTTP_409_CONFLICT),
    (OutdatedGraphError, status.HTTP_409_CONFLICT),
    (JobConflictError, status.HTTP_409_CONFLICT),
    (JobLimitError, status.HTTP_429_TOO_MANY_REQUESTS),
    (OutsideRootsError, status.HTTP_403_FORBIDDEN),
    (StoreError, status.HTTP_400_BAD_REQUEST),
    (RelexError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (UserError, status.HTTP_400_BAD_REQUEST),
)
"""First match wins: subclasses before their bases."""


def status_of(error: Exception) -> int:
    """The HTTP status for a library error."""
    if isinstance(error, UploadError):
        return error.status
    for kind, code in STATUS_OF:
        if isinstance(error, kind):
            return code
    return status.HTTP_500_INTERNAL_SERVER_ERROR


async def _answer(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=status_of(error))


def install(app: FastAPI) -> None:
    """Answer the one error root, UserError (every layer's errors), with its status and reason."""
    app.add_exception_handler(UserError, _answer)


async def send_detail(send: Send, code: int, reason: str, *, close: bool = False) -> None:
    """Answer ``{"detail": reason}`` with status ``code`` straight from ASGI middleware (and
    close the connection when ``close``: the rest of the request body is not read)."""
    body = json.dumps({"detail": reason}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""A cap on request bodies, enforced while the body streams in: a declared ``Content-Length``
over the cap is refused before any byte is read, and a chunked body is counted as it arrives
and cut off (413) once it passes the cap, so an oversized upload never reaches the disk."""

from __future__ import annotations

from fastapi import HTTPException, status
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relex.api.errors import send_detail


class BodyTooLargeError(HTTPException):
    """A request body over the cap (an HTTPException, so FastAPI answers it as it is)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the request body is over the {limit // 2**20} MB limit",
        )


class BodyLimitMiddleware:
    """413 for any HTTP request whose body is over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _refuse(send, BodyTooLargeError(self.limit))
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLargeError(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError as error:
            if not started:
                await _refuse(send, error)


async def _refuse(send: Send, error: BodyTooLargeError) -> None:
    await send_detail(send, error.status_code, str(error.detail), close=True)

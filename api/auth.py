"""Who may use the server: the access token (as Jupyter does it) and the trusted ``Host`` names.

The token is ``RELEX_API_TOKEN``, or one made at start when that is unset, so no server runs
open. Starting, cancelling, restarting and reading jobs need it, as ``Authorization: Bearer
<token>`` or a ``token`` query parameter (the page takes it from its own URL). Requests whose
``Host`` header names no trusted host are refused, so that a web page of another site cannot
reach the server through DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from relex.api.errors import send_detail
from relex.api.state import State

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""Host names every server trusts: the loopback addresses and ``localhost``."""

_bearer = HTTPBearer(auto_error=False, description="The server's access token.")
_query = APIKeyQuery(name="token", auto_error=False, description="The token, in the URL.")


def new_token() -> str:
    """A random access token (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine (``localhost`` counts)."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def require_token(
    state: State,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    query: Annotated[str | None, Depends(_query)],
) -> None:
    """The request must carry the server's token: 401 without one, 403 with a wrong one."""
    token = state.token
    given = bearer.credentials if bearer is not None else query
    if not given:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this endpoint needs the server's token (RELEX_API_TOKEN, or the one relex serve "
            "printed at start): send Authorization: Bearer <token> or ?token=<token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the token is not this server's")


Authorized = Depends(require_token)


def trusted_hosts(bound: str, extra: str | None) -> tuple[str, ...]:
    """The loopback names, the bound host (unless it is a wildcard address) and ``extra``
    (comma-separated names; ``*.domain`` for a domain, ``*`` for any host)."""
    names = list(LOOPBACK_NAMES)
    if bound not in ("0.0.0.0", "::", ""):
        names.append(f"[{bound}]" if ":" in bound and not bound.startswith("[") else bound)
    names += [name.strip() for name in (extra or "").split(",") if name.strip()]
    return tuple(dict.fromkeys(name.lower() for name in names))


def host_name(header: str) -> str:
    """The name in a ``Host`` header, lower case, without the port (``[::1]`` keeps brackets)."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.partition(":")[0]


class TrustedHostMiddleware:
    """Answer 400 with the reason when the ``Host`` header names no trusted host (the matching
    of Starlette's TrustedHostMiddleware, with a JSON reason that says what to configure)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed)
        self.any = "*" in self.allowed

    def _trusted(self, host: str) -> bool:
        return any(
            host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.allowed
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host")
        if header is not None and self._trusted(host_name(header)):
            await self.app(scope, receive, send)
            return
        reason = (
            f"host {header or ''!r} is not one this server answers to "
            f"({', '.join(self.allowed)}); add it to RELEX_TRUSTED_HOSTS to allow it"
        )
        await send_detail(send, status.HTTP_400_BAD_REQUEST, reason)

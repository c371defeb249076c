"""``relex query`` and ``relex cypher`` beside a running ``relex serve``.

The server holds the embedded store (one process at a time may open it), so a command that finds
the store held by a server that left its address (:func:`queries.lock.holder_address`) asks that
server's API instead. The API answers exactly what the query functions return (``api/routes``),
and the answer is read back into the same result types, so the output is the same either way.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter

from relex.queries import GraphStore, StoreError, StoreSettings, open_store
from relex.queries.errors import StoreInUseError
from relex.queries.lock import holder_address

log = logging.getLogger(__name__)

T = TypeVar("T")
REQUEST_TIMEOUT_S = 300.0


class ServerAnswerError(StoreError):
    """The server that holds the store refused the request; the message carries its reason."""


def answer(
    settings: StoreSettings,
    local: Callable[[GraphStore], T],
    path: str,
    params: Mapping[str, object],
    result: Any,
    *,
    body: Mapping[str, object] | None = None,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> T:
    """``local`` on the store opened read-only; when a running server holds the store, its
    API's answer at ``path`` (GET with ``params``, or POST of ``body``) read as ``result``."""
    try:
        with open_store(settings, read_only=True) as store:
            return local(store)
    except StoreInUseError as busy:
        url = holder_address(settings.path) if settings.backend == "embedded" else None
        if url is None:
            raise StoreInUseError(
                f"{busy}; stop it first (only a running relex serve can answer for the store)"
            ) from None
        log.info("the store is held by the server at %s; asking it", url)
        found = _request(url, path, params, body, timeout_s, busy)
    return TypeAdapter(result).validate_python(found)


def _request(
    url: str,
    path: str,
    params: Mapping[str, object],
    body: Mapping[str, object] | None,
    timeout_s: float,
    busy: StoreInUseError,
) -> Any:
    query = urllib.parse.urlencode({k: _param(v) for k, v in params.items() if v is not None})
    request = urllib.request.Request(
        f"{url}{path}" + (f"?{query}" if query else ""),
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return json.load(response)
    except urllib.error.HTTPError as refused:
        raise ServerAnswerError(_reason(refused)) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StoreInUseError(
            f"{busy}, and its server at {url} did not answer ({reason})"
        ) from None


def _param(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


def _reason(refused: urllib.error.HTTPError) -> str:
    """The server's ``detail`` as one line (FastAPI's validation errors name each field)."""
    try:
        detail = json.loads(refused.read()).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        detail = "; ".join(
            f"{'.'.join(map(str, item.get('loc', [])[1:]))}: {item.get('msg')}" for item in detail
        )
    return str(detail or f"the server answered HTTP {refused.code}")

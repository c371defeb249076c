"""The embedded engines: ``kuzu`` (default, 0.11.3) and ``ladybug`` (its fork, same API).

Both ship a native extension that registers the same pybind11 types, so only one of them can
be loaded in a process; asking for the other one afterwards raises EngineConflictError instead
of crashing the interpreter.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from relex.queries.errors import EngineConflictError, StoreError

ENGINES = ("kuzu", "ladybug")
DEFAULT_ENGINE = "kuzu"


def load_engine(name: str) -> ModuleType:
    """Import engine ``name`` ("kuzu" or "ladybug") and return its module."""
    if name not in ENGINES:
        raise StoreError(f"unknown embedded engine {name!r}: use one of {', '.join(ENGINES)}")
    for other in ENGINES:
        if other != name and other in sys.modules:
            raise EngineConflictError(
                f"cannot use {name}: {other} is already loaded in this process and the two "
                f"cannot share one (set RELEX_STORE_ENGINE before the first store is opened, "
                f"or use a subprocess)"
            )
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise StoreError(f"embedded engine {name} is not installed ({exc})") from exc

"""The Cypher catalogue: every query text is a file in ``queries/cypher``, loaded by name.

``<name>.cypher`` is the text for the embedded Kuzu family (and for any backend without its own
twin); ``<name>.<dialect>.cypher`` beside it (e.g. ``write_flows.neo4j.cypher``) overrides it
for that dialect. Lines starting with ``//`` are comments; a file may hold several statements,
each ending with ``;`` at the end of a line. Values are always ``$parameters``.
"""

from __future__ import annotations

import functools
from importlib import resources

from relex.queries.errors import NotFoundError

DIALECTS = ("kuzu", "neo4j")
_SUFFIX = ".cypher"


@functools.cache
def _texts() -> dict[str, str]:
    folder = resources.files("relex.queries").joinpath("cypher")
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(_SUFFIX)
    }


def file_name(name: str, dialect: str) -> str:
    """The file that holds query ``name`` for ``dialect``: its twin if it has one."""
    if dialect not in DIALECTS:
        raise NotFoundError(f"unknown Cypher dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    texts = _texts()
    for candidate in (f"{name}.{dialect}{_SUFFIX}", f"{name}{_SUFFIX}"):
        if candidate in texts:
            return candidate
    raise NotFoundError(f"no Cypher query named {name!r} in queries/cypher (dialect {dialect})")


def statements(name: str, dialect: str) -> list[str]:
    """The statements of query ``name`` for ``dialect``, comments and final ``;`` removed."""
    text = _texts()[file_name(name, dialect)]
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    parts = [part.strip() for part in body.replace(";\n", ";\x00").split("\x00")]
    return [part.removesuffix(";").strip() for part in parts if part.removesuffix(";").strip()]


def load(name: str, dialect: str) -> str:
    """The single statement of query ``name`` for ``dialect``."""
    found = statements(name, dialect)
    if len(found) != 1:
        raise NotFoundError(
            f"query {file_name(name, dialect)} holds {len(found)} statements; expected one"
        )
    return found[0]


def names() -> list[str]:
    """Every query name in the catalogue (without dialect suffixes)."""
    found = set()
    for file in _texts():
        stem = file.removesuffix(_SUFFIX)
        base, _, dialect = stem.rpartition(".")
        found.add(base if base and dialect in DIALECTS else stem)
    return sorted(found)

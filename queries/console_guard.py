"""What the console checks in a query's text before any database sees it.

- :func:`screen` (the first guard, which :func:`queries.console.execute_read_only` callers may
  skip): refuses write clauses, file access, set-up, transaction control and procedures off
  :data:`READ_PROCEDURES`, naming the word.
- :func:`check_text` (always run, inside ``execute_read_only``): the complexity limits that keep
  a text from crashing or stalling the database's parser (:data:`MAX_QUERY_CHARS`,
  :data:`MAX_TOKENS`, :data:`MAX_NESTING`), the file barrier (no ``LOAD``, ``COPY``,
  ``IMPORT``, ``EXPORT``, ``ATTACH``, ``INSTALL`` and no procedure off the list: a database's
  read-only transaction does not stop them) and the bound on ``range()``, whose list Kuzu builds
  outside its buffer pool.

Both read the same tokens: words and symbols outside string literals, quoted names and comments.
A word counts as a keyword only where a clause can start: not as a property, label, parameter,
map key or alias (``n.set``, ``:Set``, ``$set``, ``{set: 1}``, ``AS set``), nor where an
expression is expected (``RETURN set``, ``x = set``, ``ORDER BY set``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relex.queries.errors import CypherSyntaxError, QueryTooComplexError, WriteRefusedError

MAX_QUERY_CHARS = 20_000
MAX_TOKENS = 2_000
MAX_NESTING = 32
MAX_RANGE_ELEMENTS = 100_000

_WHY = {
    "changes the graph": ("CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "FOREACH"),
    "changes the schema": ("DROP", "ALTER", "RENAME", "COMMENT", "ANALYZE"),
    "reads or writes files": ("LOAD", "COPY", "IMPORT", "EXPORT"),
    "changes the database set-up": ("INSTALL", "UNINSTALL", "ATTACH", "USE"),
    "controls transactions (each console query runs in its own read-only one)": (
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "CHECKPOINT",
    ),
    "administers the server": ("GRANT", "DENY", "REVOKE", "START", "STOP", "TERMINATE"),
}
WRITE_KEYWORDS: dict[str, str] = {word: why for why, words in _WHY.items() for word in words}
FILE_KEYWORDS = frozenset({"LOAD", "COPY", "IMPORT", "EXPORT", "ATTACH", "INSTALL"})

READ_PROCEDURES = frozenset(
    {
        # Kuzu family
        "show_tables",
        "table_info",
        "show_connection",
        "current_setting",
        "db_version",
        "show_functions",
        "show_indexes",
        "show_macros",
        # Neo4j (and APOC core's read-only graph algorithms)
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
        "dbms.components",
        "apoc.algo.dijkstra",
        "apoc.algo.astar",
        "apoc.algo.allsimplepaths",
        "apoc.path.expand",
        "apoc.path.expandconfig",
        "apoc.path.subgraphnodes",
        "apoc.path.subgraphall",
        "apoc.path.spanningtree",
        "apoc.meta.schema",
        "apoc.meta.stats",
    }
)

_TOKEN = re.compile(
    r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<quoted>`(?:[^`]|``)*`)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<symbol>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_NAME_BEFORE = frozenset({".", ":", "$", "AS"})
"""A word right after these is a property, label, parameter or alias."""
_EXPRESSION_BEFORE = frozenset(
    {",", "[", "=", "<", ">", "+", "-", "/", "%", "^"}
    | {"RETURN", "WITH", "WHERE", "AND", "OR", "XOR", "NOT", "IN", "IS", "DISTINCT", "BY"}
    | {"SKIP", "LIMIT", "UNWIND", "CASE", "WHEN", "THEN", "ELSE", "CONTAINS"}
)
"""A word right after these starts an expression, not a clause."""
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True, slots=True)
class Token:
    """One word, symbol, literal or quoted name of a query text."""

    kind: str
    text: str


def tokens(cypher: str) -> list[Token]:
    """Words and symbols of ``cypher``; comments dropped, literals and quoted names kept whole
    (an unterminated literal falls apart into symbols and words, which are then screened)."""
    found = []
    for match in _TOKEN.finditer(cypher):
        kind = match.lastgroup or "symbol"
        if kind != "comment":
            found.append(Token(kind, match.group()))
    return found


def in_clause_position(found: list[Token], at: int) -> bool:
    """True where the word at ``at`` could start a clause (see the module doc)."""
    before = found[at - 1].text.upper() if at > 0 else ""
    after = found[at + 1].text if at + 1 < len(found) else ""
    if before in _NAME_BEFORE or after == ":":
        return False
    return before not in _EXPRESSION_BEFORE


def _procedure_name(found: list[Token], at: int) -> str | None:
    """The dotted procedure name after the CALL at ``at``; None for a ``CALL { ... }``
    subquery."""
    parts: list[str] = []
    index = at + 1
    while index < len(found):
        token = found[index]
        if token.kind in {"word", "quoted"}:
            parts.append(token.text.strip("`"))
        elif token.text != ".":
            break
        index += 1
    if not parts:
        if index < len(found) and found[index].text == "{":
            return None
        return ""
    return ".".join(parts)


def _keywords(found: list[Token]) -> list[tuple[int, str]]:
    """Position and upper-case text of every word in clause position."""
    return [
        (at, token.text.upper())
        for at, token in enumerate(found)
        if token.kind == "word" and in_clause_position(found, at)
    ]


def _refuse_procedure(found: list[Token], at: int) -> None:
    name = _procedure_name(found, at)
    if name is not None and name.lower() not in READ_PROCEDURES:
        raise WriteRefusedError(
            f"refused: procedure {name or '(unnamed)'!r} is not on the console's list "
            f"of read-only procedures ({', '.join(sorted(READ_PROCEDURES))}); "
            "nothing was run"
        )


def _refusal(word: str) -> WriteRefusedError:
    return WriteRefusedError(
        f"refused: {word} {WRITE_KEYWORDS[word]}; the console only reads "
        "(MATCH ... RETURN ...) and nothing was run"
    )


def screen(cypher: str) -> None:
    """Refuse (WriteRefusedError) a query that writes, touches files or the set-up, controls
    transactions or calls a procedure not known to only read; CypherSyntaxError for an empty
    text or one of several statements, QueryTooComplexError for one too long to read. Runs
    nothing."""
    _check_length(cypher)  # before the tokens: a long text would take long to split
    found = tokens(cypher)
    if not found:
        raise CypherSyntaxError("the query is empty: write one Cypher statement, e.g. MATCH ...")
    for at, word in _keywords(found):
        if word in WRITE_KEYWORDS:
            raise _refusal(word)
        if word == "CALL":
            _refuse_procedure(found, at)
    ends = [at for at, token in enumerate(found) if token.text == ";"]
    if ends and any(token.text != ";" for token in found[ends[0] :]):
        raise CypherSyntaxError("the console runs one statement at a time: remove the ';'")


def check_text(cypher: str, params: Mapping[str, Any]) -> None:
    """The checks no caller can skip: complexity limits (QueryTooComplexError), file access
    and procedures off the list (WriteRefusedError), and the ``range()`` bound."""
    _check_length(cypher)
    found = tokens(cypher)
    _check_nesting(found)
    if len(found) > MAX_TOKENS:
        raise QueryTooComplexError(
            f"the query has {len(found):,} terms (words, numbers, operators); the console takes "
            f"at most {MAX_TOKENS:,} (pass long lists as parameters); nothing was run"
        )
    for at, word in _keywords(found):
        if word in FILE_KEYWORDS:
            raise _refusal(word)
        if word == "CALL":
            _refuse_procedure(found, at)
    _check_ranges(found, params)


def _check_length(cypher: str) -> None:
    if len(cypher) > MAX_QUERY_CHARS:
        raise QueryTooComplexError(
            f"the query is {len(cypher):,} characters long; the console takes at most "
            f"{MAX_QUERY_CHARS:,} (pass long values as parameters); nothing was run"
        )


def _check_nesting(found: list[Token]) -> None:
    depth = 0
    for token in found:
        if token.kind != "symbol":
            continue
        if token.text in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise QueryTooComplexError(
                    f"the query nests brackets more than {MAX_NESTING} deep; the console takes "
                    f"at most {MAX_NESTING} levels of (), [] and {{}}; nothing was run"
                )
        elif token.text in _CLOSE:
            depth = max(0, depth - 1)


def _check_ranges(found: list[Token], params: Mapping[str, Any]) -> None:
    """Every ``range(start, end[, step])`` takes integer literals or integer parameters and
    yields at most :data:`MAX_RANGE_ELEMENTS` elements."""
    for at, token in enumerate(found):
        if token.kind != "word" or token.text.lower() != "range":
            continue
        if at + 1 >= len(found) or found[at + 1].text != "(":
            continue
        if at > 0 and found[at - 1].text in {".", ":", "$"}:
            continue
        bounds = _range_arguments(found, at + 2, params)
        if bounds is None or not 2 <= len(bounds) <= 3:
            raise QueryTooComplexError(
                "range() in the console takes two or three integer literals or integer "
                f"parameters (at most {MAX_RANGE_ELEMENTS:,} elements); nothing was run"
            )
        start, end, step = bounds[0], bounds[1], bounds[2] if len(bounds) == 3 else 1
        size = 0 if step == 0 else max(0, (end - start) // step + 1)
        if size > MAX_RANGE_ELEMENTS:
            raise QueryTooComplexError(
                f"range({start}, {end}, {step}) has {size:,} elements; the console builds at "
                f"most {MAX_RANGE_ELEMENTS:,} per range() (Kuzu holds the list outside its "
                "buffer pool); nothing was run"
            )


def _range_arguments(found: list[Token], start: int, params: Mapping[str, Any]) -> list[int] | None:
    """The integer arguments from ``start`` to the closing bracket; None if one is not an
    integer literal or integer parameter."""
    values: list[int] = []
    part: list[str] = []
    for token in found[start:]:
        if token.text in {",", ")"}:
            value = _integer(part, params)
            if value is None:
                return None
            values.append(value)
            if token.text == ")":
                return values
            part = []
        else:
            part.append(token.text)
    return None


def _integer(part: list[str], params: Mapping[str, Any]) -> int | None:
    text = "".join(part)
    if _INTEGER.fullmatch(text):
        return int(text)
    if len(part) == 2 and part[0] == "$":
        value = params.get(part[1])
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None

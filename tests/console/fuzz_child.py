"""The console fuzz, run as a child process by test_console_fuzz.py (a crash then fails that
test instead of killing pytest): ``python -m tests.console.fuzz_child STORE ENGINE FOLDER N``.

Random Cypher-like texts go through the console, screened and not; each must end in a result
or a StoreError. Prints the last text tried before running it, so a crash names it.
"""

from __future__ import annotations

import contextlib
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relex.queries.console import execute_read_only, run_read_only
from relex.queries.embedded import EmbeddedStore
from relex.queries.errors import StoreError

WORDS = [
    "MATCH",
    "OPTIONAL",
    "RETURN",
    "WITH",
    "WHERE",
    "UNWIND",
    "AS",
    "ORDER",
    "BY",
    "LIMIT",
    "SKIP",
    "DISTINCT",
    "UNION",
    "ALL",
    "CREATE",
    "MERGE",
    "SET",
    "DELETE",
    "DETACH",
    "REMOVE",
    "FOREACH",
    "DROP",
    "ALTER",
    "CALL",
    "YIELD",
    "LOAD",
    "FROM",
    "COPY",
    "TO",
    "EXPORT",
    "IMPORT",
    "DATABASE",
    "ATTACH",
    "INSTALL",
    "BEGIN",
    "COMMIT",
    "CHECKPOINT",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "EXISTS",
    "COUNT",
    "n",
    "m",
    "r",
    "set",
    "delete",
    "Neuron",
    "FLOW",
    "Run",
    "Model",
    "id",
    "relevance",
    "range",
    "sum",
    "collect",
    "size",
    "show_tables",
    "read_csv_serial",
    "file_info",
    "TRANSACTION",
    "READ",
    "ONLY",
    "HEADERS",
]
SYMBOLS = [*"()[]{},.:;-><=+*/%^|$`'\"", "->", "<-", "--", "//", "/*", "*/", "``"]


def texts(folder: str) -> st.SearchStrategy[str]:
    """Texts made of keywords, names, brackets, numbers, strings and file paths, sometimes
    with a long run of one token."""
    token = st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(SYMBOLS),
        st.integers(-(10**12), 10**12).map(str),
        st.text(alphabet="abc'\"\\ /", max_size=8).map(lambda text: f"'{text}'"),
        st.just(f"'{folder}/out.csv'"),
        st.just(f"'{folder}/secret.csv'"),
    )
    run = st.tuples(st.sampled_from(["(", "[", "{a: ", "1 + ", "NOT "]), st.integers(1, 4000))
    piece = st.one_of(token, token, token, run.map(lambda pair: pair[0] * pair[1]))
    spacing = st.sampled_from([" ", "", "\n"])
    return st.lists(st.tuples(piece, spacing), max_size=40).map(
        lambda parts: "".join(text + space for text, space in parts)
    )


def main(path: str, engine: str, folder: str, examples: int) -> None:
    with EmbeddedStore(path, engine=engine) as store:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(texts(folder), st.booleans())
        def never_crashes(cypher: str, screened: bool) -> None:
            sys.stdout.write(f"trying {cypher[:300]!r}\n")
            sys.stdout.flush()
            run = run_read_only if screened else execute_read_only
            with contextlib.suppress(StoreError):
                run(store, cypher, timeout_s=2)

        never_crashes()
    print("fuzz done")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))

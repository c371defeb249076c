"""The console neither reads nor writes files, through the screen or with it bypassed: Kuzu's
read-only transaction alone runs LOAD FROM, COPY ... TO and EXPORT DATABASE, so the console
must stop them before the database sees them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from relex.queries.console import ConsoleResult, execute_read_only, run_read_only
from relex.queries.embedded import EmbeddedStore
from relex.queries.errors import WriteRefusedError
from tests.store.conftest import ENGINE
from tests.store.synthetic import SmallRun

SECRET = "s3cr3t-line"
Runner = Callable[..., ConsoleResult]


def file_queries(folder: Path) -> dict[str, tuple[str, Path | None]]:
    """Each construct, and the path it would create (None for a read)."""
    secret = folder / "secret.csv"
    return {
        "load": (f"LOAD FROM '{secret}' RETURN *", None),
        "load with headers": (
            f"LOAD WITH HEADERS (a STRING, b STRING) FROM '{secret}' RETURN a",
            None,
        ),
        "load lower case, after a comment": (f"/* x */ load from '{secret}' RETURN *", None),
        "load after a read": (f"MATCH (n:Run) WITH n LOAD FROM '{secret}' RETURN *", None),
        "copy to": (
            f"COPY (MATCH (n:Neuron) RETURN n.id) TO '{folder / 'out.csv'}'",
            folder / "out.csv",
        ),
        "copy from": (f"COPY Model FROM '{secret}'", None),
        "export": (f"EXPORT DATABASE '{folder / 'dump'}'", folder / "dump"),
        "import": (f"IMPORT DATABASE '{folder / 'dump'}'", None),
        "attach": (f"ATTACH '{folder / 'other.kuzu'}' AS other (dbtype kuzu)", None),
        "install": ("INSTALL httpfs", None),
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    place = tmp_path / "files"
    place.mkdir()
    (place / "secret.csv").write_text(f"a,b\n{SECRET},2\n", encoding="utf-8")
    return place


@pytest.mark.parametrize("name", list(file_queries(Path("/x"))))
@pytest.mark.parametrize("run", [run_read_only, execute_read_only], ids=["screened", "bypassed"])
def test_file_access_is_refused_and_nothing_is_written(
    store: EmbeddedStore,
    run_path: tuple[SmallRun, Path],
    folder: Path,
    name: str,
    run: Runner,
) -> None:
    cypher, written = file_queries(folder)[name]
    before = sorted(path.name for path in folder.iterdir())
    with pytest.raises(WriteRefusedError, match=r"refused: [A-Z]+ .*nothing was run") as refused:
        run(store, cypher)
    assert SECRET not in str(refused.value)
    assert written is None or not written.exists()
    assert sorted(path.name for path in folder.iterdir()) == before
    assert store.counts() == run_path[0].counts


@pytest.mark.skipif(ENGINE != "kuzu", reason="the file-reading table functions are kuzu's")
@pytest.mark.parametrize("function", ["read_csv_serial", "read_parquet", "file_info"])
def test_file_reading_procedures_are_refused_unscreened(
    store: EmbeddedStore, folder: Path, function: str
) -> None:
    with pytest.raises(WriteRefusedError, match="not on the console's list"):
        execute_read_only(store, f"CALL {function}('{folder / 'secret.csv'}') RETURN *")


def test_the_database_alone_would_read_and_write_files(folder: Path) -> None:
    """Why the console's own barrier is needed: Kuzu's read-only transaction lets these run."""
    if ENGINE != "kuzu":
        pytest.skip("shown on kuzu")
    import kuzu  # here: a ladybug run must not load kuzu

    connection = kuzu.Connection(kuzu.Database(str(folder / "bare.kuzu")))
    connection.execute("BEGIN TRANSACTION READ ONLY")
    rows = connection.execute(f"LOAD FROM '{folder / 'secret.csv'}' RETURN *").get_all()
    connection.execute(f"COPY (RETURN 1 AS one) TO '{folder / 'leak.csv'}'")
    connection.execute("ROLLBACK")
    assert rows == [[SECRET, 2]] and (folder / "leak.csv").exists()


@pytest.mark.parametrize(
    "cypher",
    [
        "RETURN 1 AS load",
        "WITH 1 AS copy RETURN copy + 1 AS two",
        "MATCH (n:Neuron) RETURN n.id AS export LIMIT 1",
    ],
)
def test_file_words_as_names_still_read(store: EmbeddedStore, cypher: str) -> None:
    assert len(execute_read_only(store, cypher).rows) == 1

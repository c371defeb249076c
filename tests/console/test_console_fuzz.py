"""A property fuzz of the console (hypothesis, in a child process: see fuzz_child.py): random
Cypher-like texts never crash the process, never change the store, and never write a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from relex.queries.embedded import EmbeddedStore
from tests.store.conftest import ENGINE
from tests.store.synthetic import SmallRun

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("RELEX_FUZZ_EXAMPLES", "300"))


def dump(path: Path) -> tuple[Any, ...]:
    """Every node and edge of the store, sorted, and the counts."""
    with EmbeddedStore(path, engine=ENGINE, read_only=True) as store:
        nodes = store.query("MATCH (n) RETURN label(n) AS label, n.id AS id")
        edges = store.query(
            "MATCH (a)-[e]->(b) RETURN a.id AS a, label(e) AS label, b.id AS b, "
            "e.run AS run, e.relevance AS relevance"
        )
        return store.counts(), sorted(nodes, key=repr), sorted(edges, key=repr)


def test_random_texts_never_crash_nor_change_the_store(
    run_path: tuple[SmallRun, Path], tmp_path: Path
) -> None:
    path = run_path[1]
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "secret.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    before = dump(path)
    arguments = [str(path), ENGINE, str(folder), str(EXAMPLES)]
    child = subprocess.run(
        [sys.executable, "-m", "tests.console.fuzz_child", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=900,
        check=False,
    )
    last = child.stdout.strip().splitlines()[-3:]
    assert child.returncode == 0, f"exit {child.returncode} after {last}: {child.stderr[-3000:]}"
    assert last[-1] == "fuzz done"
    assert dump(path) == before
    assert sorted(entry.name for entry in folder.iterdir()) == ["secret.csv"]

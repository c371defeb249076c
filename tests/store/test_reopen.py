"""The embedded store reopens its database after many bulk-loaded rows or loads (kuzu keeps
memory for each load until it closes), and nothing written or prepared before is lost by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from relex.queries.analysis import critical_paths, top_neurons
from relex.queries.embedded import EmbeddedStore
from tests.queries.graphs import layered_graph
from tests.store.conftest import ENGINE

LAYERS = [("input", "input", 3), ("c1", "conv", 6), ("c2", "conv", 5), ("out", "linear", 4)]


@pytest.mark.parametrize(
    ("limit", "counter"),
    [("REOPEN_AFTER_ROWS", "_rows_since_open"), ("REOPEN_AFTER_LOADS", "_loads_since_open")],
)
def test_a_store_reopened_between_writes_holds_what_one_never_reopened_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, counter: str
) -> None:
    graph = layered_graph(LAYERS, classes=4, top_k=3, seed=7)
    with EmbeddedStore(tmp_path / "once.kuzu", engine=ENGINE) as once:
        once.create_schema()
        graph.write(once)
        expected = [critical_paths(once, run="run-a", class_id=graph.class_id(c)) for c in range(4)]
        counts = once.counts()
    monkeypatch.setattr(f"relex.queries.embedded.{limit}", 2)
    with EmbeddedStore(tmp_path / "often.kuzu", engine=ENGINE) as often:
        often.create_schema()
        opened = often._db
        graph.write(often)  # nodes, flows and relevance: several loads, reopened between them
        assert often._db is not opened
        assert getattr(often, counter) < 2
        assert often.counts() == counts
        got = [critical_paths(often, run="run-a", class_id=graph.class_id(c)) for c in range(4)]
        assert got == expected
        assert top_neurons(often, run="run-a", class_id=graph.class_id(0), k=2)

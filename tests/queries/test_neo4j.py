"""The Neo4j side of the query catalogue without a server: every Neo4j text parses with a Neo4j
Cypher grammar, and every query function, run through ``Neo4jStore`` on a driver whose
transactions answer from an embedded store holding the same graph, returns exactly what it
returns on the embedded store. Kept beside the real server's parity test (test_parity.py) for
what a server does not show: that every call is a catalogue text run in a read transaction,
with values only as parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from graphglot.dialect import Dialect

from relex.queries import GraphStore, catalogue
from relex.queries.analysis import (
    QUERY_NAMES,
    compare_classes,
    compare_datasets,
    critical_paths,
    list_classes,
    list_layers,
    list_runs,
    neuron_detail,
    subgraph,
    top_neurons,
)
from relex.queries.neo4j_store import Neo4jStore
from tests.queries.conftest import fresh_store
from tests.queries.graphs import layered_graph
from tests.store.fake_driver import RecordingDriver

NEO4J = Dialect.get_or_raise("neo4j")
USED = (*QUERY_NAMES, "get_run")
NAME_OF = {catalogue.load(name, "neo4j"): name for name in USED}


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_neo4j_text_parses(name: str) -> None:
    result = NEO4J.validate(catalogue.load(name, "neo4j"))
    assert result.success, f"{catalogue.file_name(name, 'neo4j')}: {result.error}"


@dataclass
class MirrorDriver(RecordingDriver):
    """Answers each Neo4j catalogue text with the kuzu text of the same name."""

    NAME_OF = NAME_OF

    embedded: GraphStore

    def answer(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.embedded.query(catalogue.load(name, "kuzu"), params)


def every_query(store: GraphStore) -> list[object]:
    run, a, b = "run-a", "ds/0", "ds/1"
    return [
        list_runs(store),
        list_classes(store, run=run),
        list_layers(store, run=run),
        top_neurons(store, run=run, class_id=a, k=2),
        top_neurons(store, run=run, class_id=a, layer="c1", k=3),
        critical_paths(store, run=run, class_id=a, k=4, target_layer="input"),
        critical_paths(store, run=run, class_id=a, k=4, sign="negative"),
        critical_paths(store, run=run, class_id=b, k=3, source="m/c2/1", target_layer="c1"),
        compare_classes(store, run_a=run, class_a=a, run_b=run, class_b=b, k=2),
        compare_datasets(store, run_a=run, run_b=run, k=2),
        subgraph(store, run=run, class_id=a, up=1, down=2, min_share=0.2),
        subgraph(store, run=run, class_id=b, seeds=["m/c1/0"], up=2, down=1),
        neuron_detail(store, run=run, neuron="m/c1/2", k=3),
    ]


def test_every_function_answers_the_same_through_neo4j(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("relex.queries.analysis.critical.FRONTIER_LIMIT", 2)  # both fetch phases
    layers = [("input", "input", 3), ("c1", "conv", 5), ("c2", "conv", 4), ("out", "linear", 3)]
    graph = layered_graph(
        layers, classes=2, top_k=2, seed=5, shares=(0.2, 0.5, 1.2), relevance_values=(1.0, 2.0)
    )
    with fresh_store("embedded") as embedded:
        graph.write(embedded)
        driver = MirrorDriver(embedded)
        neo4j = Neo4jStore(driver, read_only=True)  # type: ignore[arg-type]
        assert every_query(neo4j) == every_query(embedded)
    assert {call.mode for call in driver.calls} == {"read"}
    assert "<ad hoc>" not in {call.name for call in driver.calls}
    assert {call.name for call in driver.calls} >= set(QUERY_NAMES)

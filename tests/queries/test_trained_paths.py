"""Critical paths on a real run of a model trained in the test session: evidence for the class
runs through positive flows and positive neurons, the k paths tell k stories, and the stored
CriticalPath nodes (plain Cypher) equal the query's answer; on each reachable backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from relex.ingest.worker import IngestOptions, ingest
from relex.queries import GraphStore
from relex.queries.analysis import critical_paths, list_classes
from relex.queries.ids import class_neuron_id
from tests.queries.conftest import fresh_store

DATASET = "synthetic:shapes-a?size=28&grey=1&n=120&seed=21"
STORED_PATH = (
    "MATCH (p:CriticalPath)-[s:STEP]->(n:Neuron) WHERE p.run = $run AND p.class = $class "
    "AND p.sign = $sign AND p.rank = $rank RETURN n.id AS id ORDER BY s.position"
)


WSHORTEST = (
    "MATCH (a:ClassNeuron {id: $from})-[f:FLOW* WSHORTEST(cost) 1..30 (r, n | WHERE "
    "r.relevance > 0 AND r.cost IS NOT NULL)]->(b:ClassNeuron {id: $to}) "
    "RETURN cost(f) AS cost, properties(nodes(f), 'neuron') AS ids"
)


def scope(info: object) -> dict[str, str]:
    return {"run": "trained", "class": info.id}  # type: ignore[attr-defined]


def class_relevance(store: GraphStore, run: str, class_id: str) -> dict[str, float]:
    rows = store.query(
        "MATCH (c:Class {id: $class})-[r:RELEVANT]->(n:Neuron) WHERE r.run = $run "
        "RETURN n.id AS id, r.relevance AS relevance",
        {"run": run, "class": class_id},
    )
    return {row["id"]: row["relevance"] for row in rows}


def test_paths_of_a_trained_run(backend: str, trained_checkpoint: Path) -> None:
    options = IngestOptions(
        run="trained",
        dataset=DATASET,
        model="smallcnn28",
        weights=str(trained_checkpoint),
        top_k=3,
        batch_size=8,
        device="cpu",
        limit=6,
    )
    with fresh_store(backend) as store:
        ingest(options, store, progress=False)
        classes = list_classes(store, run="trained")
        assert len(classes) >= 4
        for info in classes:
            relevance = class_relevance(store, "trained", info.id)
            for sign, factor in (("positive", 1), ("negative", -1)):
                found = critical_paths(store, run="trained", class_id=info.id, sign=sign)
                assert found.target_layer == "conv1_1"
                stored = [
                    tuple(
                        row["id"]
                        for row in store.query(
                            STORED_PATH,
                            {"run": "trained", "class": info.id, "sign": sign, "rank": rank},
                        )
                    )
                    for rank in range(1, 6)
                ]
                assert [p.neurons for p in found.paths] == [s for s in stored if s]
                scores = store.query(
                    "MATCH (p:CriticalPath) WHERE p.run = $run AND p.class = $class AND "
                    "p.sign = $sign RETURN p.score AS score ORDER BY p.rank",
                    {"run": "trained", "class": info.id, "sign": sign},
                )
                assert [p.score for p in found.paths] == pytest.approx(
                    [row["score"] for row in scores], rel=1e-9
                )
                assert len({p.neurons for p in found.paths}) == len(found.paths)
                for path in found.paths:
                    assert path.score * factor > 0
                    assert all(edge.relevance * factor > 0 for edge in path.edges)
                    assert all(relevance[n] * factor > 0 for n in path.neurons[1:])
                    assert all(0 < edge.share <= 1 + 1e-9 for edge in path.edges)
            positive = critical_paths(store, run="trained", class_id=info.id)
            assert positive.paths, f"class {info.id} has no path of evidence for it"
            if backend == "embedded":  # the README's plain-Cypher weighted shortest path
                best = positive.paths[0].neurons
                ends = [class_neuron_id("trained", info.id, end) for end in (best[0], best[-1])]
                (row,) = store.query(WSHORTEST, {"from": ends[0], "to": ends[1]})
                assert tuple(row["ids"]) == best[1:-1]
                assert row["cost"] == pytest.approx(positive.paths[0].cost)

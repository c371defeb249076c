"""The ingest worker against the real embedded store: round trip, resume after kill -9, errors;
and the kill -9 and resume on a real Neo4j server."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from relex.ingest.aggregate import (
    ClassSums,
    evidence_shares,
    outflow_totals,
    rank_descending,
    top_incoming,
)
from relex.ingest.datasets import SHAPE_CLASSES, open_dataset
from relex.ingest.errors import RelexError
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box
from relex.ingest.models import load_model
from relex.ingest.run_params import RunParameters
from relex.ingest.worker import IngestOptions, ingest
from relex.queries import GraphStore, StoreSettings, open_store
from tests.helpers import SHAPES_DATASET, shapes_checkpoint, small_run_options
from tests.store.conftest import neo4j_store, require_backend

RELEX = [sys.executable, "-m", "relex"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes_checkpoint(tmp_path_factory.mktemp("weights") / "shapes.pt")


def store_at(path: Path, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    return open_store(StoreSettings(path=path), read_only=read_only)


GRAPH_QUERIES = {
    "flows": "MATCH (a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron) "
    "RETURN a.run, a.class, a.neuron, b.neuron, f.relevance, f.share, f.cost",
    "relevant": "MATCH (a)-[r:RELEVANT]->(b:Neuron) RETURN a.id, b.id, r.run, r.relevance, r.rank",
    "paths": "MATCH (p:CriticalPath)-[s:STEP]->(n:Neuron) "
    "RETURN p.id, p.sign, p.rank, p.score, s.position, n.id",
}


def store_dump(store: GraphStore, nodes: str) -> dict[str, list[tuple[object, ...]]]:
    """Every FLOW and RELEVANT edge, every stored path step and every node id (``nodes``: the
    backend's query for labels and ids), sorted: a graph to compare exactly."""
    queries = {**GRAPH_QUERIES, "nodes": nodes}
    return {
        name: sorted(tuple(row.values()) for row in store.query(cypher))
        for name, cypher in queries.items()
    }


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """``store_dump`` of the embedded store at ``path``."""
    with store_at(path, read_only=True) as store:
        return store_dump(store, "MATCH (n) RETURN label(n), n.id")


def test_store_round_trips_what_the_worker_computed(checkpoint: Path, tmp_path: Path) -> None:
    with store_at(tmp_path / "g.kuzu") as store:
        run = ingest(small_run_options(checkpoint, classes=(0, 2), limit=5), store, progress=False)
        counts = store.counts()
        stored = store.query(
            "MATCH (c:Class)-[r:RELEVANT]->(n:Neuron) WHERE r.run = 'r1' "
            "RETURN c.id AS class, n.id AS neuron, r.relevance AS relevance, r.rank AS rank, "
            "r.retained AS retained"
        )
        flows = store.query(
            "MATCH (a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron) WHERE a.class = 'shapes-a/2' "
            "RETURN a.neuron AS upper, b.neuron AS lower, f.relevance AS flow, f.share AS share"
        )
        steps = store.query(
            "MATCH (p:CriticalPath)-[s:STEP]->(n:Neuron) WHERE p.class = 'shapes-a/2' "
            "RETURN p.id AS path, s.position AS position, n.id AS neuron"
        )
    by_path: dict[str, list[tuple[int, str]]] = {}
    for step in steps:
        by_path.setdefault(step["path"], []).append((step["position"], step["neuron"]))
    path_edges = {
        pair
        for hops in by_path.values()
        for pair in itertools.pairwise(neuron for _, neuron in sorted(hops))
    }
    assert len(by_path) >= 1
    assert run.status == "done" and run.images == 10 and run.classes == 2
    # Recompute class 2 directly with the engine.
    loaded = load_model("smallcnn64", str(checkpoint))
    dataset = open_dataset(SHAPES_DATASET)
    indices = dataset.select(classes=[2], limit=5)
    inputs = torch.stack([dataset.tensor(i, loaded.preprocessing) for i in indices])
    low, high = loaded.preprocessing.bounds()
    method = LRP(loaded.module, epsilon_gamma_box(low, high))
    target = loaded.class_names.index(dataset.class_names[2])
    sums = ClassSums()
    for batch in (inputs[:4], inputs[4:]):  # the worker's batches of 4
        groups = torch.zeros(len(batch), dtype=torch.long)
        result = method.attribute(batch, target, flow_groups=groups)
        sums.add(result.neuron_relevance, {pair: flow[0] for pair, flow in result.flows.items()})
    model = run.model
    expected_flows = {}
    outflows = outflow_totals(sums.flows)
    for (lower, upper), flow in sums.flows.items():
        share = evidence_shares(flow, outflows[upper], sums.neurons[lower])
        on_paths = {
            (int(i), int(j))
            for (i, j) in zip(*np.nonzero(np.isfinite(share)), strict=True)
            if (f"{model}/{upper}/{j}", f"{model}/{lower}/{i}") in path_edges
        }
        keep = (
            np.array([i for i, _ in on_paths], dtype=np.int64),
            np.array([j for _, j in on_paths], dtype=np.int64),
        )
        edges = top_incoming(flow, share, 3, keep=keep)
        for i, j, value, share in zip(
            edges.lower, edges.upper, edges.flow, edges.share, strict=True
        ):
            expected_flows[(f"{model}/{upper}/{j}", f"{model}/{lower}/{i}")] = (value, share)
    got_flows = {(row["upper"], row["lower"]): (row["flow"], row["share"]) for row in flows}
    assert got_flows.keys() == expected_flows.keys()
    for key, (value, share) in expected_flows.items():
        assert got_flows[key][0] == pytest.approx(value, rel=1e-4, abs=1e-9)
        if np.isnan(share):
            assert got_flows[key][1] is None
        else:
            assert got_flows[key][1] == pytest.approx(share, rel=1e-4, abs=1e-9)
    network = method.network
    assert counts.nodes["Neuron"] == network.neuron_count
    assert counts.nodes["Image"] == 10 and counts.nodes["Class"] == len(SHAPE_CLASSES)
    assert counts.relationships["FLOW"] == run.flows
    assert len(stored) == 2 * network.neuron_count
    by_key = {(row["class"], row["neuron"]): row for row in stored}
    for layer, totals in sums.neurons.items():
        ranks = rank_descending(totals)
        for index in (0, len(totals) - 1):
            row = by_key[("shapes-a/2", f"{model}/{layer}/{index}")]
            assert row["relevance"] == pytest.approx(totals[index], rel=1e-4, abs=1e-9)
            assert row["rank"] == ranks[index]


def test_rerun_changes_nothing_and_other_parameters_are_refused(
    checkpoint: Path, tmp_path: Path
) -> None:
    path = tmp_path / "g.kuzu"
    with store_at(path) as store:
        ingest(small_run_options(checkpoint, limit=3), store, progress=False)
    before = dump(path)
    with store_at(path) as store:
        ingest(small_run_options(checkpoint, limit=3), store, progress=False)
        with pytest.raises(RelexError, match="already exists with other parameters"):
            ingest(small_run_options(checkpoint, limit=3, top_k=4), store, progress=False)
    assert dump(path) == before


def test_the_run_records_its_parameters_as_the_renders_read_them(
    checkpoint: Path, tmp_path: Path
) -> None:
    options = small_run_options(checkpoint, classes=(0, 2), limit=2)
    with store_at(tmp_path / "g.kuzu") as store:
        run = ingest(options, store, progress=False)
    recorded = {
        "classes": [0, 2],
        "dataset": SHAPES_DATASET,
        "group_by": "label",
        "limit": 2,
        "method": "epsilon_gamma_box",
        "model": "smallcnn64",
        "paths": 5,
        "top_k": 3,
        "weights": str(checkpoint.resolve()),
    }
    assert json.loads(run.params) == recorded
    assert run.params == json.dumps(recorded, sort_keys=True)
    params = RunParameters.from_json(run.params, run=run.id)
    assert params == RunParameters(
        "smallcnn64", str(checkpoint.resolve()), "epsilon_gamma_box", SHAPES_DATASET, 3, (0, 2), 2
    )
    assert params.to_json() == run.params


def test_kill_during_ingest_then_resume_gives_the_uninterrupted_graph(
    checkpoint: Path, tmp_path: Path
) -> None:
    arguments = [
        *RELEX, "--verbose", "ingest", "--dataset", "synthetic:shapes-a?n=48&seed=3",
        "--run", "r1", "--model", "smallcnn64", "--weights", str(checkpoint),
        "--top-k", "3", "--batch-size", "4", "--device", "cpu",
    ]  # fmt: skip
    reference = tmp_path / "reference.kuzu"
    done = subprocess.run([*arguments, "--store", str(reference)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    interrupted = tmp_path / "interrupted.kuzu"
    process = subprocess.Popen(
        [*arguments, "--store", str(interrupted)], stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 300
    for line in process.stderr:
        if "class 2/6 done" in line or time.monotonic() > deadline:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    with store_at(interrupted, read_only=True) as store:
        assert store.get_run("r1").status == "running"
    resumed = subprocess.run(
        [*arguments, "--store", str(interrupted)], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming run r1 after 2 classes" in resumed.stderr
    assert dump(interrupted) == dump(reference)


def neo4j_dump(store: GraphStore) -> dict[str, list[tuple[object, ...]]]:
    """``store_dump`` of a Neo4j store, in the same shape."""
    return store_dump(store, "MATCH (n) RETURN labels(n)[0], n.id")


def test_kill_mid_class_then_resume_on_neo4j_gives_the_uninterrupted_graph(
    checkpoint: Path, tmp_path: Path
) -> None:
    """The same on a real Neo4j server (skipped without NEO4J_URI): killed while a class's
    edges are half written (batches of 25 rows, so a class takes many transactions), the rerun
    ends with exactly the graph of an uninterrupted run into the embedded store."""
    require_backend("neo4j")
    arguments = [
        *RELEX, "--verbose", "ingest", "--dataset", "synthetic:shapes-a?n=24&seed=3",
        "--run", "r1", "--model", "smallcnn64", "--weights", str(checkpoint),
        "--top-k", "3", "--batch-size", "4", "--device", "cpu",
    ]  # fmt: skip
    reference = tmp_path / "reference.kuzu"
    done = subprocess.run([*arguments, "--store", str(reference)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    expected = dump(reference)
    third = sorted({row[1] for row in expected["flows"]})[2]
    env = {**os.environ, "RELEX_STORE_BACKEND": "neo4j", "RELEX_NEO4J_BATCH_SIZE": "25"}
    with neo4j_store() as store:
        store.query("MATCH (n) DETACH DELETE n")
        process = subprocess.Popen(arguments, env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        written = 0
        while written == 0 and process.poll() is None and time.monotonic() < deadline:
            (row,) = store.query(
                "MATCH (a:ClassNeuron)-[f:FLOW]->() WHERE a.run = 'r1' AND a.class = $cls "
                "RETURN count(f) AS n",
                {"cls": third},
            )
            written = row["n"]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL
        assert store.get_run("r1").status == "running"
        full = sum(1 for row in expected["flows"] if row[1] == third)
        assert 0 < written < full, "the kill came after the third class was written"
        resumed = subprocess.run(arguments, env=env, capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr
        assert "resuming run r1 after 2 classes" in resumed.stderr
        assert neo4j_dump(store) == expected


def test_a_second_writer_is_told_the_store_is_in_use(checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "g.kuzu"
    with store_at(path):
        done = subprocess.run(
            [*RELEX, "ingest", "--dataset", SHAPES_DATASET, "--run", "r2", "--model", "smallcnn64",
             "--weights", str(checkpoint), "--store", str(path)],
            capture_output=True, text=True,
        )  # fmt: skip
    assert done.returncode == 2
    assert "in use by PID" in done.stderr and "Traceback" not in done.stderr


def corrupt_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for name in ("n01440764", "n02102040"):
        (root / name).mkdir(parents=True)
        for k in range(3):
            Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(
                root / name / f"{k}.png"
            )
    (root / "n01440764" / "broken.png").write_bytes(b"not a png")
    return root


def test_unreadable_images_are_skipped_and_counted(tmp_path: Path) -> None:
    folder = corrupt_folder(tmp_path / "folder")
    with store_at(tmp_path / "g.kuzu") as store:
        run = ingest(
            IngestOptions(
                run="r",
                dataset=f"imagefolder:{folder}",
                model="vgg11",
                weights="none",
                batch_size=4,
                device="cpu",
                top_k=2,
            ),
            store,
            progress=False,
        )
    assert run.skipped == 1 and run.images == 6


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ("imagefolder:/does/not/exist", "does not exist"),
        ("mnist:/does/not/exist", "does not exist"),
        ("nonsense:whatever", "should look like kind:location"),
    ],
)
def test_bad_datasets_are_clear_errors(dataset: str, expected: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [*RELEX, "ingest", "--dataset", dataset, "--run", "r", "--model", "smallcnn64",
         "--weights", "none", "--store", str(tmp_path / "g.kuzu")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert expected in done.stderr.lower() and "Traceback" not in done.stderr

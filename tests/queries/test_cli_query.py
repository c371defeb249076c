"""``relex query ...`` on the real small ingested run: readable tables, JSON that equals the
functions' results, and one "error: ..." line with exit status 2 for unknown ids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from relex.cli import app
from relex.queries.analysis import critical_paths, list_classes, subgraph, top_neurons
from relex.queries.embedded import EmbeddedStore
from tests.queries.conftest import INGESTED_RUN
from tests.store.conftest import ENGINE

RELEX = [sys.executable, "-m", "relex"]


def invoke(*arguments: str) -> str:
    result = CliRunner().invoke(app, ["query", *arguments], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_tables_and_json_match_the_functions(ingested_store: Path) -> None:
    store = ["--store", str(ingested_store)]
    with EmbeddedStore(ingested_store, engine=ENGINE, read_only=True) as graph:
        first, second = (c.id for c in list_classes(graph, run=INGESTED_RUN))
        top = top_neurons(graph, run=INGESTED_RUN, class_id=first, layer="fc4", k=3)
        paths = critical_paths(graph, run=INGESTED_RUN, class_id=first, k=2, sign="negative")
        names = {c.id: c.name for c in list_classes(graph, run=INGESTED_RUN)}
        around = subgraph(graph, run=INGESTED_RUN, class_id=first, up=0, down=1)
    run = ["--run", INGESTED_RUN]

    text = invoke("top-neurons", *run, "--class", first, "--layer", "fc4", "-k", "3", *store)
    lines = text.splitlines()
    assert lines[0].startswith(f"run {INGESTED_RUN}, class {first} ({names[first]})")
    assert "summed over the class's 3 images" in lines[0]
    assert lines[1].split() == ["layer", "index", "rank", "relevance", "retained"]
    assert [line.split()[1] for line in lines[3:-1]] == [str(n.index) for n in top]
    assert [line.split()[4] for line in lines[3:-1]] == [
        f"{100 * n.retained:.1f}%" for n in top if n.retained is not None
    ]
    assert lines[-1].startswith("retained = ")

    against = ["--sign", "negative", "-k", "2"]
    as_json = invoke("critical-paths", *run, "--class", first, *against, "--format", "json", *store)
    assert [p["neurons"] for p in json.loads(as_json)["paths"]] == [
        list(p.neurons) for p in paths.paths
    ]
    table = invoke("critical-paths", *run, "--class", first, *against, *store)
    assert f"evidence against the class, from {paths.source} to layer conv1_1" in table
    assert "summed over 3 images" in table
    assert " > ".join(n.split("/", 1)[1] for n in paths.paths[0].neurons) in table
    # A class's name and a short neuron id (layer/index) work where ids are taken.
    assert invoke("critical-paths", *run, "--class", names[first], *against, *store) == table
    short = paths.paths[0].neurons[1].split("/", 1)[1]
    assert invoke("neuron", *run, short, *store) == invoke(
        "neuron", *run, paths.paths[0].neurons[1], *store
    )
    elements = invoke("subgraph", *run, "--class", first, "--up", "0", "--down", "1", "--format",
                      "json", *store)  # fmt: skip
    assert json.loads(elements) == around.elements()

    compared = invoke("compare-classes", "--run-a", INGESTED_RUN, "--class-a", first,
                      "--class-b", second, "-k", "3", *store)  # fmt: skip
    assert "jaccard" in compared and "shared critical edges" in compared
    assert "shapes-a/0" in invoke("compare-datasets", "--run-a", INGESTED_RUN, "--run-b",
                                  INGESTED_RUN, *store)  # fmt: skip
    assert INGESTED_RUN in invoke("runs", *store)
    assert "layers (neurons): input (3)" in invoke("classes", *run, *store)
    assert "incoming" in invoke("neuron", *run, paths.paths[0].neurons[1], *store)


def test_an_empty_answer_is_one_line(ingested_store: Path) -> None:
    store = ["--store", str(ingested_store)]
    with EmbeddedStore(ingested_store, engine=ENGINE, read_only=True) as graph:
        first = list_classes(graph, run=INGESTED_RUN)[0].id
        empty = not critical_paths(graph, run=INGESTED_RUN, class_id=first).paths
    assert empty  # the random-weight run passes no positive evidence down from this class
    text = invoke("critical-paths", "--run", INGESTED_RUN, "--class", first, *store)
    assert text.splitlines()[-1] == "no path of this sign exists in the stored graph"


def test_unknown_ids_are_one_error_line_and_exit_2(ingested_store: Path) -> None:
    done = subprocess.run(
        [*RELEX, "query", "top-neurons", "--run", "nope", "--class", "shapes-a/0",
         "--store", str(ingested_store)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: run 'nope' is not in store {ingested_store}"
    ]

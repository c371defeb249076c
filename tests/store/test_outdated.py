"""Stores and runs written before critical paths were signed, or before FLOW edges joined
per-class ClassNeurons, are refused with a message that names the runs and says how to
re-ingest them: never read as if their graph meant today's."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from relex.queries import OutdatedGraphError
from relex.queries.embedded import EmbeddedStore
from tests.queries.graphs import layered_graph

RELEX = [sys.executable, "-m", "relex"]
LAYERS = [("input", "input", 2), ("c1", "conv", 2), ("out", "linear", 2)]


def written_store(path: Path, **run_fields: object) -> None:
    graph = layered_graph(LAYERS, classes=1, top_k=2, seed=3, run="old-run")
    nodes = graph.nodes()
    nodes[-1] = dataclasses.replace(nodes[-1], **run_fields)  # type: ignore[type-var]
    with EmbeddedStore(path) as store:
        store.create_schema()
        store.write_nodes(nodes)


def test_a_store_from_before_graph_versions_is_refused_naming_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.kuzu"
    written_store(path)
    with EmbeddedStore(path) as store:  # what an older version's store looks like
        store.query("ALTER TABLE Run DROP graph_version")
        store.query("DROP TABLE STEP")
        store.query("DROP TABLE CriticalPath")
    for read_only in (True, False, False):  # a refused writer releases its lock
        with pytest.raises(OutdatedGraphError, match="old-run") as caught:
            EmbeddedStore(path, read_only=read_only)
        assert "Re-ingest" in str(caught.value)


def test_a_store_with_flows_between_shared_neurons_is_refused_naming_its_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "flat.kuzu"
    written_store(path, graph_version=2)
    with EmbeddedStore(path) as store:  # FLOW as graph version 2 stored it
        store.query("DROP TABLE FLOW")
        store.query(
            "CREATE REL TABLE FLOW(FROM Neuron TO Neuron, run STRING, class STRING, "
            "relevance DOUBLE, share DOUBLE, cost DOUBLE)"
        )
    with pytest.raises(OutdatedGraphError, match="old-run") as caught:
        EmbeddedStore(path, read_only=True)
    assert "ClassNeuron" in str(caught.value) and "Re-ingest" in str(caught.value)


def test_a_run_without_the_current_graph_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.kuzu"
    written_store(path, graph_version=None)
    with (
        EmbeddedStore(path, read_only=True) as store,
        pytest.raises(OutdatedGraphError, match="old-run"),
    ):
        store.get_run("old-run")


def test_the_cli_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cli.kuzu"
    written_store(path, graph_version=1)
    done = subprocess.run(
        [*RELEX, "query", "classes", "--run", "old-run"],
        capture_output=True,
        text=True,
        env={"RELEX_STORE_PATH": str(path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "old-run" in done.stderr and "Traceback" not in done.stderr

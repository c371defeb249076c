"""Rows, ids, the catalogue, the lock file and the settings: the pieces under the stores."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from relex.queries import (
    FlowBatch,
    FlowRow,
    InvalidRowError,
    LayerRow,
    NeuronRow,
    NotFoundError,
    RunRow,
    StoreError,
    StoreInUseError,
    StoreSettings,
    catalogue,
    ids,
)
from relex.queries.embedded import used_params
from relex.queries.frames import flow_tables
from relex.queries.ids import class_neuron_id
from relex.queries.lock import StoreLock, holder_pid, lock_path
from relex.queries.rows import share_cost


def test_ids_are_deterministic_paths() -> None:
    assert NeuronRow("vgg16", "features.0", 12).id == "vgg16/features.0/12"
    assert NeuronRow("vgg16", "features.0", 12).layer_id == "vgg16/features.0"
    assert ids.class_id("imagenette", 3) == "imagenette/3"
    assert ids.image_id("imagenette", "train/n01440764/a.JPEG") == (
        "imagenette/train/n01440764/a.JPEG"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ids.layer_id("vgg/16", "conv"), "must not contain"),
        (lambda: ids.neuron_id("vgg16", "", 0), "must not be empty"),
        (lambda: ids.neuron_id("vgg16", "fc", -1), ">= 0"),
        (lambda: LayerRow("m", "pool", 1, "pool", 3), "kind 'pool'"),
        (lambda: RunRow("r", "r", "m", "d", "eps", status="paused"), "status 'paused'"),
        (lambda: RunRow("r", "r", "m", "d", "eps", params="{oops"), "not JSON"),
        (lambda: RunRow("", "r", "m", "d", "eps"), "run id"),
    ],
)
def test_bad_rows_say_what_is_wrong(make: object, message: str) -> None:
    with pytest.raises(InvalidRowError, match=message):
        make()  # type: ignore[operator]


def test_flow_share_and_cost() -> None:
    row = FlowRow("r", "d/0", "m/b/0", "m/a/1", 0.25, 0.5)
    assert row.cost == pytest.approx(math.log(2))
    assert FlowRow("r", "d/0", "u", "l", 0.1, None).cost is None
    assert FlowRow("r", "d/0", "u", "l", -0.1, -0.2).cost is None
    assert FlowRow("r", "d/0", "u", "l", 0.0, 0.0).cost is None


def test_share_cost_is_minus_ln_share_where_positive() -> None:
    shares = [0.5, 1.0, 1e-300, 0.0, -0.25, math.nan]
    costs = share_cost(shares)
    np.testing.assert_allclose(costs[:3], [-math.log(s) for s in shares[:3]], rtol=1e-15)
    assert np.isnan(costs[3:]).all()
    assert float(share_cost(0.25)) == pytest.approx(-math.log(0.25), rel=1e-15)


def test_flow_batch_columns_costs_and_rows() -> None:
    batch = FlowBatch.of(
        "r",
        "d/0",
        ["m/u/1", "m/u/2", "m/u/3"],
        ["m/l/1", "m/l/2", "m/l/3"],
        [1, 2, 3],
        [0.5, np.nan, 0],
    )
    assert list(batch.class_ids) == ["d/0"] * 3
    assert batch.cost()[0] == pytest.approx(math.log(2))
    assert np.isnan(batch.cost()[1:]).all()
    assert batch.rows()[1] == FlowRow("r", "d/0", "m/u/2", "m/l/2", 2.0, None)
    table = flow_tables(batch).edges
    assert table.column_names == ["src", "dst", "relevance", "share", "cost"]
    assert table.column("src")[0].as_py() == class_neuron_id("r", "d/0", "m/u/1")
    assert table.column("share").null_count == 1
    assert table.column("cost").null_count == 2
    both = FlowBatch.concat([batch, FlowBatch.from_rows(batch.rows())])
    assert len(both) == 6


def test_a_flow_batch_ends_at_one_class_neuron_per_class_and_neuron() -> None:
    batch = FlowBatch.of(
        "r",
        ["d/0", "d/0", "d/1"],
        ["m/fc/1", "m/fc/1", "m/fc/1"],
        ["m/c/0", "m/c/2", "m/c/0"],
        [1, 2, 3],
        [1, 1, 1],
    )
    ends = flow_tables(batch).ends.sort_by([("id", "ascending")]).to_pylist()
    assert [(e["id"], e["run"], e["cls"], e["neuron"], e["layer"], e["idx"]) for e in ends] == [
        (class_neuron_id("r", "d/0", "m/c/0"), "r", "d/0", "m/c/0", "c", 0),
        (class_neuron_id("r", "d/0", "m/c/2"), "r", "d/0", "m/c/2", "c", 2),
        (class_neuron_id("r", "d/0", "m/fc/1"), "r", "d/0", "m/fc/1", "fc", 1),
        (class_neuron_id("r", "d/1", "m/c/0"), "r", "d/1", "m/c/0", "c", 0),
        (class_neuron_id("r", "d/1", "m/fc/1"), "r", "d/1", "m/fc/1", "fc", 1),
    ]
    with pytest.raises(InvalidRowError, match="'u1' is not a neuron id"):
        flow_tables(FlowBatch.of("r", "d/0", ["u1"], ["m/c/0"], [1.0], [1.0]))
    with pytest.raises(InvalidRowError, match="upper/lower has a missing id"):
        flow_tables(FlowBatch.of("r", "d/0", ["m/fc/1"], [None], [1.0], [1.0]))
    with pytest.raises(InvalidRowError, match="class_ids has a missing id"):
        flow_tables(FlowBatch.of("r", [None], ["m/fc/1"], ["m/c/0"], [1.0], [1.0]))


def test_flow_batches_reject_ragged_or_mixed_input() -> None:
    with pytest.raises(InvalidRowError, match="differ in length"):
        FlowBatch.of("r", "d/0", ["u"], ["l", "m"], [1.0], [1.0])
    with pytest.raises(InvalidRowError, match="one run"):
        FlowBatch.from_rows([FlowRow("a", "c", "u", "l", 1, 1), FlowRow("b", "c", "u", "l", 1, 1)])


def test_catalogue_prefers_a_dialect_twin() -> None:
    assert catalogue.load("write_flows", "kuzu") == "COPY FLOW FROM $rows"
    assert catalogue.load("write_flows", "neo4j").startswith("UNWIND $rows AS row")
    assert catalogue.load("get_run", "neo4j") == catalogue.load("get_run", "kuzu")
    assert len(catalogue.statements("schema", "kuzu")) == 18
    with pytest.raises(NotFoundError, match="no Cypher query named 'nope'"):
        catalogue.load("nope", "kuzu")
    with pytest.raises(NotFoundError, match="holds 18 statements"):
        catalogue.load("schema", "kuzu")
    with pytest.raises(NotFoundError, match="unknown Cypher dialect"):
        catalogue.load("get_run", "gremlin")


def test_only_referenced_parameters_reach_kuzu() -> None:
    cypher = "MATCH (n {id: $id}) WHERE n.run = $run_id RETURN n"
    assert used_params(cypher, {"id": 1, "run_id": 2, "run": 3}) == {"id": 1, "run_id": 2}


def test_the_lock_holds_the_owner_pid_and_conflicts_in_process(tmp_path: Path) -> None:
    db = tmp_path / "g.kuzu"
    first = StoreLock(db)
    first.acquire()
    assert lock_path(db) == tmp_path / "g.kuzu.lock"
    assert holder_pid(db) == os.getpid()
    with pytest.raises(StoreInUseError, match=f"store {db} is in use by PID {os.getpid()}"):
        StoreLock(db).acquire()
    first.release()
    first.release()
    assert holder_pid(db) is None
    second = StoreLock(db)
    second.acquire()
    assert second.held
    second.release()


def test_settings_from_the_environment() -> None:
    settings = StoreSettings.from_env(
        {
            "RELEX_STORE_BACKEND": "neo4j",
            "RELEX_STORE_PATH": "/data/g.kuzu",
            "RELEX_STORE_ENGINE": "ladybug",
            "NEO4J_URI": "bolt://127.0.0.1:7687",
            "NEO4J_PASSWORD": "secret",
            "RELEX_NEO4J_BATCH_SIZE": "500",
        }
    )
    assert settings.backend == "neo4j"
    assert settings.path == Path("/data/g.kuzu")
    assert settings.engine == "ladybug"
    assert (settings.neo4j_user, settings.neo4j_batch_size) == ("neo4j", 500)
    assert StoreSettings.from_env({}) == StoreSettings()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RELEX_STORE_BACKEND": "sqlite"}, "unknown store backend 'sqlite'"),
        ({"RELEX_STORE_ENGINE": "duckdb"}, "unknown embedded engine 'duckdb'"),
        ({"RELEX_NEO4J_BATCH_SIZE": "lots"}, "must be a positive integer"),
    ],
)
def test_bad_settings_say_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(StoreError, match=message):
        StoreSettings.from_env(env)


def test_neo4j_without_credentials_is_refused() -> None:
    from relex.queries import open_store

    with pytest.raises(StoreError, match="NEO4J_URI and NEO4J_PASSWORD"):
        open_store(StoreSettings(backend="neo4j"))

"""Run.scores on the embedded store: stores made before the property get it on the first write,
ingest's rewrites of the Run keep it, read-only stores read it, and unknown runs are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from relex.ingest.evaluation.experiments import Evaluation, MethodScores
from relex.ingest.evaluation.scores import read_scores, scores_document, store_scores
from relex.queries import DatasetRow, ModelRow, NotFoundError, RunRow
from relex.queries.embedded import EmbeddedStore

RUN = RunRow(id="r1", name="r1", model="m", dataset="d", method="epsilon", status="done")


def make_store(path: Path) -> None:
    """A store as ``relex ingest`` leaves it, made with the schema that has no scores column."""
    store = EmbeddedStore(path)
    store.create_schema()
    store.write_nodes(
        [
            ModelRow("m", arch="smallcnn64", layers=3, neurons=10),
            DatasetRow("d", kind="synthetic", path="synthetic:shapes-a"),
            RUN,
        ]
    )
    store.close()


def run_columns(store: EmbeddedStore) -> list[str]:
    return [row["name"] for row in store.query("CALL table_info('Run') RETURN *")]


def evaluation() -> Evaluation:
    return Evaluation(
        dataset="synthetic:shapes-a",
        model="smallcnn64",
        images=4,
        patch=8,
        methods=(
            MethodScores("epsilon", {"aopc": 0.5, "conservation_error": float("nan")}),
            MethodScores("random", {"aopc": 0.1, "conservation_error": 3.0}),
        ),
    )


def test_scores_round_trip_on_a_store_made_before_the_property(tmp_path: Path) -> None:
    path = tmp_path / "old.kuzu"
    make_store(path)
    document = scores_document(evaluation())
    assert document["methods"]["epsilon"]["conservation_error"] is None
    with EmbeddedStore(path) as store:
        assert "scores" not in run_columns(store)
        store_scores(store, "r1", document)
        store_scores(store, "r1", document)
        assert run_columns(store)[-1] == "scores"
        assert read_scores(store, "r1") == document
        assert store.get_run("r1") == RUN
        store.write_nodes([RUN])
        assert read_scores(store, "r1") == document
        store.create_schema()
        assert read_scores(store, "r1") == document
    with EmbeddedStore(path, read_only=True) as store:
        assert read_scores(store, "r1") == document


def test_never_evaluated_runs_read_none_and_unknown_runs_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "fresh.kuzu"
    make_store(path)
    with EmbeddedStore(path, read_only=True) as store:
        assert read_scores(store, "r1") is None
        with pytest.raises(NotFoundError, match="'nope'"):
            read_scores(store, "nope")
    with EmbeddedStore(path) as store:
        assert read_scores(store, "r1") is None
        with pytest.raises(NotFoundError, match="run 'nope' is not in"):
            store_scores(store, "nope", scores_document(evaluation()))

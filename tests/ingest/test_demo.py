"""``relex demo`` end to end on a tiny setting: both runs stored, critical paths for every class,
the printed example queries run, Ctrl-C and a second demo resume without duplicates, and the
API answers on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from relex.ingest.datasets import SHAPE_CLASSES
from relex.ingest.demo import (
    example_queries,
    imagenet_runs,
    ingest_demo,
    synthetic_specs,
    train_demo_model,
)
from relex.ingest.errors import RelexError
from relex.queries import GraphStore, StoreSettings, open_store
from relex.queries.analysis import critical_paths
from tests.helpers import ctrl_c_as_from_a_terminal

RELEX = [sys.executable, "-m", "relex"]
TINY: dict[str, Any] = {"images_per_class": 2, "top_k": 3, "batch_size": 4, "device": "cpu"}
TRAINING: dict[str, Any] = {"train_images": 48, "epochs": 1}
TINY_ARGUMENTS = [
    "--images-per-class", "2", "--top-k", "3", "--batch-size", "4", "--device", "cpu",
    "--train-images", "48", "--epochs", "1",
]  # fmt: skip

pytestmark = pytest.mark.slow


def store_at(path: Path, *, read_only: bool = False) -> GraphStore:
    return open_store(StoreSettings(path=path), read_only=read_only)


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every node id and every FLOW and RELEVANT edge with its values, sorted."""
    with store_at(path, read_only=True) as store:
        tables = {
            "nodes": store.query("MATCH (n) RETURN label(n), n.id"),
            "flows": store.query(
                "MATCH (a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron) "
                "RETURN a.run, a.class, a.neuron, b.neuron, f.relevance, f.share, f.cost"
            ),
            "relevant": store.query(
                "MATCH (a)-[r:RELEVANT]->(b:Neuron) RETURN a.id, b.id, r.run, r.relevance, r.rank"
            ),
        }
    return {name: sorted(tuple(row.values()) for row in rows) for name, rows in tables.items()}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("relex-data")


@pytest.fixture(scope="module")
def reference(data_dir: Path) -> Path:
    """A store the demo's steps filled without interruption (in this process)."""
    model = train_demo_model(data_dir=data_dir, progress=False, **TRAINING)
    path = data_dir / "reference.kuzu"
    with store_at(path) as store:
        ingest_demo(store=store, checkpoint=model.checkpoint, progress=False, **TINY)
    return path


def demo(store: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        *RELEX, "--verbose", "demo", *TINY_ARGUMENTS,
        "--store", str(store), "--data-dir", str(data_dir), *extra,
    ]  # fmt: skip


def test_the_store_holds_both_finished_runs(reference: Path) -> None:
    with store_at(reference, read_only=True) as store:
        for variant in ("shapes-a", "shapes-b"):
            run = store.get_run(f"demo-{variant}")
            assert (run.status, run.dataset) == ("done", variant)
            assert (run.classes, run.images) == (len(SHAPE_CLASSES), 2 * len(SHAPE_CLASSES))
            assert run.flows > 0


def test_runs_record_the_checkpoint_by_absolute_path(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API loads a run's model again, from wherever it was started."""
    model = train_demo_model(data_dir=data_dir, progress=False, **TRAINING)
    monkeypatch.chdir(model.checkpoint.parent)
    with store_at(tmp_path / "graph.kuzu") as store:
        runs = ingest_demo(
            store=store,
            checkpoint=Path(model.checkpoint.name),
            progress=False,
            **{**TINY, "images_per_class": 1},
        )
    recorded = {json.loads(run.params)["weights"] for run in runs}
    assert recorded == {str(model.checkpoint.resolve())}


def test_critical_paths_exist_for_every_class(reference: Path) -> None:
    """Paths from each class's own output logit (the demo model's outputs are the shape classes
    in order) down to the first convolution, equal to the stored ones. The demo model here is
    trained on 48 images for one epoch, so a class may lack evidence for it; it then has
    evidence against it (the trained model's paths: tests/queries/test_trained_paths.py)."""
    analysis = pytest.importorskip("relex.queries.analysis")
    with store_at(reference, read_only=True) as store:
        for variant in ("shapes-a", "shapes-b"):
            run = store.get_run(f"demo-{variant}")
            for index in range(len(SHAPE_CLASSES)):
                class_id = f"{variant}/{index}"
                found = {
                    sign: analysis.critical_paths(
                        store, run=run.id, class_id=class_id, k=3, sign=sign
                    )
                    for sign in ("positive", "negative")
                }
                assert any(len(f.paths) == 3 for f in found.values()), f"no paths: {class_id}"
                for sign, paths in found.items():
                    assert paths.source == f"{run.model}/fc5/{index}"
                    stored = store.query(
                        "MATCH (p:CriticalPath) WHERE p.run = $run AND p.class = $class "
                        "AND p.sign = $sign AND p.rank <= 3 RETURN p.score AS score "
                        "ORDER BY p.rank",
                        {"run": run.id, "class": class_id, "sign": sign},
                    )
                    assert [p.score for p in paths.paths] == pytest.approx(
                        [row["score"] for row in stored]
                    )
                    for path in paths.paths:
                        assert path.neurons[-1].startswith(f"{run.model}/conv1_1/")
                        assert path.score * (1 if sign == "positive" else -1) > 0


def test_the_example_queries_run_on_the_demo_graph(reference: Path) -> None:
    with store_at(reference, read_only=True) as store:
        runs = [store.get_run("demo-shapes-a"), store.get_run("demo-shapes-b")]
        examples = example_queries(store=store, runs=runs)
        assert len(examples) == 4
        for example in examples[:3]:
            rows = store.query(example.cypher)
            assert 1 <= len(rows) <= 5, example.cypher
        shifted = store.query(examples[2].cypher)
        path = [row["neuron"] for row in store.query(examples[3].cypher)]
        class_id = store.query_named("run_classes", {"run": "demo-shapes-a"})[0]["id"]
        best = critical_paths(store, run="demo-shapes-a", class_id=class_id, k=1).paths
    assert tuple(path) == (best[0].neurons if best else ())
    gaps = [abs(row["mean_a"] - row["mean_b"]) for row in shifted]
    assert gaps == sorted(gaps, reverse=True)


def test_ctrl_c_during_ingest_then_a_second_demo_resumes_without_duplicates(
    reference: Path, data_dir: Path
) -> None:
    interrupted = data_dir / "interrupted.kuzu"
    process = subprocess.Popen(
        demo(interrupted, data_dir, "--no-serve"),
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_from_a_terminal,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 300
    for line in process.stderr:
        if "class 2/6 done" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 130, rest
    assert "interrupted" in rest
    with store_at(interrupted, read_only=True) as store:
        stopped = store.get_run("demo-shapes-a")
    assert stopped.status == "running"
    assert 2 <= stopped.classes < len(SHAPE_CLASSES)
    resumed = subprocess.run(
        demo(interrupted, data_dir, "--no-serve"), capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "reusing the demo model" in resumed.stderr
    assert resumed.stderr.startswith("relex demo: reuses the small CNN it trained before, ")
    assert f"resuming run demo-shapes-a after {stopped.classes} classes" in resumed.stderr
    assert "run demo-shapes-b: 12 images in 6 classes" in resumed.stdout
    assert "3. the fc4 neurons whose mean relevance" in resumed.stdout
    assert dump(interrupted) == dump(reference)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_api_answers_on_loopback(reference: Path, data_dir: Path) -> None:
    pytest.importorskip("relex.api.server")
    port = _free_port()
    process = subprocess.Popen(
        demo(reference, data_dir, "--host", "127.0.0.1", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        runs = _get_json(f"http://127.0.0.1:{port}/api/runs", deadline=time.monotonic() + 120)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}/" in out, err
    assert {"demo-shapes-a", "demo-shapes-b"} <= {run["id"] for run in runs}


def _get_json(url: str, *, deadline: float) -> list[dict[str, object]]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                loaded: list[dict[str, object]] = json.loads(response.read())
                return loaded
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_the_model_is_trained_once_per_setting(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = train_demo_model(data_dir=data_dir, progress=False, **TRAINING)

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached model should have been used")

    monkeypatch.setattr("relex.ingest.demo.train_small_cnn", no_training)
    again = train_demo_model(data_dir=data_dir, progress=False, **TRAINING)
    assert again.cached
    assert (again.checkpoint, again.test_accuracy) == (first.checkpoint, first.test_accuracy)
    with pytest.raises(AssertionError, match="cached model"):
        train_demo_model(data_dir=data_dir, train_images=60, epochs=1, progress=False)
    assert not list((data_dir / "demo" / "models").glob("*partial*"))


def test_other_settings_on_the_same_store_are_a_clear_error(
    reference: Path, data_dir: Path
) -> None:
    model = train_demo_model(data_dir=data_dir, progress=False, **TRAINING)
    with (
        store_at(reference) as store,
        pytest.raises(RelexError, match="made with other demo settings; give the demo another"),
    ):
        ingest_demo(store=store, checkpoint=model.checkpoint, **{**TINY, "top_k": 4})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: synthetic_specs(images_per_class=0), "--images-per-class must be at least 1"),
        (
            lambda: train_demo_model(data_dir=Path("unused"), train_images=5, epochs=1),
            "--train-images must be at least 12",
        ),
    ],
)
def test_bad_sizes_are_clear_errors(call: object, message: str) -> None:
    with pytest.raises(RelexError, match=message):
        call()  # type: ignore[operator]


def test_the_datasets_are_two_variants_of_unseen_images() -> None:
    specs = synthetic_specs(images_per_class=5, seed=0)
    assert specs == ("synthetic:shapes-a?n=30&seed=1", "synthetic:shapes-b?n=30&seed=1")


def test_imagenet_without_weights_says_where_they_belong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with store_at(tmp_path / "g.kuzu") as store, pytest.raises(RelexError) as raised:
        imagenet_runs(store=store, folders=[tmp_path], images_per_class=2)
    assert "ImageNet VGG16 weights" in str(raised.value)
    assert str(tmp_path / "torch") in str(raised.value)
    completed = subprocess.run(
        [*RELEX, "demo", "--imagenet", str(tmp_path), "--no-serve", "--store", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        env={**os.environ, "TORCH_HOME": str(tmp_path / "torch")},
    )
    assert completed.returncode == 2
    plan, error = completed.stderr.strip().splitlines()
    assert plan.startswith("relex demo: explains 30 images per class of 1 folder(s) with ImageNet")
    assert error.startswith("error: --imagenet needs torchvision's ImageNet VGG16")

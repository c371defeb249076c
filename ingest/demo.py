"""The demo pipeline behind ``relex demo``, as keyword-only steps.

1. :func:`train_demo_model`: train ``smallcnn64`` on synthetic ``shapes-a`` images, cached under
   ``<data_dir>/demo/models`` by the training parameters (a second demo reuses it);
2. :func:`ingest_demo`: explain held-out images of both synthetic variants, ``shapes-a`` and
   its shifted twin ``shapes-b``, into one store (two runs, so classes can be compared across
   datasets). The worker commits class by class, so an interrupted demo resumes where it stopped;
3. :func:`example_queries`: four Cypher queries that work on the runs just made.

:func:`imagenet_runs` does step 2 for ImageNet VGG16 on Imagenette/Imagewoof folders instead,
when the ImageNet weights are on disk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from relex.ingest.datasets import SHAPE_CLASSES, open_dataset
from relex.ingest.errors import RelexError
from relex.ingest.models import architecture, imagenet_weights_path
from relex.ingest.training import train_small_cnn
from relex.ingest.worker import IngestOptions, ingest
from relex.queries import GraphStore, RunRow

log = logging.getLogger(__name__)

DEMO_MODEL = "smallcnn64"
TRAIN_VARIANT = "shapes-a"
VARIANTS = ("shapes-a", "shapes-b")
METHOD = "epsilon_gamma_box"
TRAIN_BATCH_SIZE = 16
"""Twice the steps of training's default 32 for the same compute, which small demo budgets need:
2,400 images, 4 epochs reached 84.2% test accuracy on shapes-a with batch 16 and 67.1% with batch
32 (3.3 CPU-minutes each); the demo's 3,000 images, 5 epochs reached 95.3% (5 CPU-minutes)."""


@dataclass(frozen=True)
class DemoModel:
    """The trained small CNN and how well it does on held-out ``shapes-a`` images."""

    checkpoint: Path
    dataset: str
    epochs: int
    test_accuracy: float
    test_images: int
    seconds: float
    cached: bool


@dataclass(frozen=True)
class ExampleQuery:
    """A Cypher query to try on the demo graph, with what it asks."""

    title: str
    cypher: str


def demo_model_files(
    *, data_dir: Path, train_images: int, epochs: int, seed: int = 0
) -> tuple[Path, Path]:
    """The checkpoint and the facts file of the demo CNN trained with these parameters."""
    folder = data_dir / "demo" / "models"
    key = f"{DEMO_MODEL}-{TRAIN_VARIANT}-n{train_images}-e{epochs}-b{TRAIN_BATCH_SIZE}-s{seed}"
    return folder / f"{key}.pt", folder / f"{key}.json"


def train_demo_model(
    *, data_dir: Path, train_images: int, epochs: int, seed: int = 0, progress: bool = True
) -> DemoModel:
    """Train the demo CNN on ``train_images`` synthetic ``shapes-a`` images, or reuse the
    checkpoint an earlier demo trained with the same parameters."""
    if train_images < 2 * len(SHAPE_CLASSES):
        raise RelexError(
            f"--train-images must be at least {2 * len(SHAPE_CLASSES)} (two per class), "
            f"not {train_images}"
        )
    checkpoint, facts = demo_model_files(
        data_dir=data_dir, train_images=train_images, epochs=epochs, seed=seed
    )
    if checkpoint.is_file() and facts.is_file():
        log.info("reusing the demo model %s", checkpoint)
        saved = json.loads(facts.read_text(encoding="utf-8"))
        return DemoModel(checkpoint=checkpoint, cached=True, **saved)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    partial = checkpoint.with_suffix(".partial.pt")
    report = train_small_cnn(
        open_dataset(f"synthetic:{TRAIN_VARIANT}?n={train_images}&seed={seed}"),
        model_name=DEMO_MODEL,
        epochs=epochs,
        batch_size=TRAIN_BATCH_SIZE,
        seed=seed,
        out=partial,
        progress=progress,
    )
    model = DemoModel(
        checkpoint=checkpoint,
        dataset=report.dataset,
        epochs=epochs,
        test_accuracy=report.test_accuracy,
        test_images=report.test_images,
        seconds=report.seconds,
        cached=False,
    )
    saved = {k: v for k, v in asdict(model).items() if k not in ("checkpoint", "cached")}
    facts.write_text(json.dumps(saved, indent=2), encoding="utf-8")
    # Renamed last: a demo stopped while training leaves no checkpoint that looks finished.
    partial.replace(checkpoint)
    return model


def synthetic_specs(*, images_per_class: int, seed: int = 0) -> tuple[str, ...]:
    """Dataset specs of both variants: ``images_per_class`` images of each class, drawn with
    another seed than the training images so the model has never seen them."""
    if images_per_class < 1:
        raise RelexError(f"--images-per-class must be at least 1, not {images_per_class}")
    n = images_per_class * len(SHAPE_CLASSES)
    return tuple(f"synthetic:{variant}?n={n}&seed={seed + 1}" for variant in VARIANTS)


def ingest_demo(
    *,
    store: GraphStore,
    checkpoint: Path,
    images_per_class: int,
    seed: int = 0,
    top_k: int = 8,
    batch_size: int = 16,
    device: str = "auto",
    progress: bool = True,
) -> tuple[RunRow, ...]:
    """Explain both synthetic variants with the demo model into ``store``: runs
    ``demo-shapes-a`` and ``demo-shapes-b`` (each resumes if an earlier demo was stopped)."""
    runs = []
    for spec in synthetic_specs(images_per_class=images_per_class, seed=seed):
        variant = spec.removeprefix("synthetic:").partition("?")[0]
        options = IngestOptions(
            run=f"demo-{variant}",
            dataset=spec,
            model=DEMO_MODEL,
            weights=str(checkpoint),
            method=METHOD,
            top_k=top_k,
            batch_size=batch_size,
            device=device,
        )
        runs.append(_ingest(options, store, progress=progress))
    return tuple(runs)


def imagenet_runs(
    *,
    store: GraphStore,
    folders: Sequence[Path],
    images_per_class: int,
    top_k: int = 8,
    batch_size: int = 16,
    device: str = "auto",
    progress: bool = True,
) -> tuple[RunRow, ...]:
    """Explain Imagenette/Imagewoof ``folders`` (their ``val`` split when they have one) with
    ImageNet VGG16 into ``store``: one run ``demo-<folder>-vgg16`` per folder."""
    weights = imagenet_weights_path(architecture("vgg16"))
    if not weights.is_file():
        raise RelexError(
            f"--imagenet needs torchvision's ImageNet VGG16 weights at {weights} "
            "(set TORCH_HOME to the folder holding hub/checkpoints/); nothing is downloaded"
        )
    if images_per_class < 1:
        raise RelexError(f"--images-per-class must be at least 1, not {images_per_class}")
    runs = []
    for folder in folders:
        if not folder.is_dir():
            raise RelexError(f"--imagenet {folder}: no such folder")
        split = "?split=val" if (folder / "val").is_dir() else ""
        options = IngestOptions(
            run=f"demo-{folder.resolve().name}-vgg16",
            dataset=f"imagefolder:{folder}{split}",
            model="vgg16",
            weights="imagenet",
            method=METHOD,
            top_k=top_k,
            batch_size=batch_size,
            device=device,
            limit=images_per_class,
        )
        runs.append(_ingest(options, store, progress=progress))
    return tuple(runs)


def _ingest(options: IngestOptions, store: GraphStore, *, progress: bool) -> RunRow:
    try:
        return ingest(options, store, progress=progress)
    except RelexError as error:
        if "already exists with other parameters" not in str(error):
            raise
        raise RelexError(
            f"the store already holds a run {options.run} made with other demo settings; "
            "give the demo another --store file (or delete this one)"
        ) from None


def example_queries(*, store: GraphStore, runs: Sequence[RunRow]) -> tuple[ExampleQuery, ...]:
    """Four read-only queries on ``runs`` (the first two runs when there are two): the top
    neurons of a class in a hidden layer, the flows into the class's output neuron, the
    neurons whose relevance for the same class shifts most between the two datasets, and the
    class's stored critical path of evidence for it."""
    if not runs:
        raise RelexError("no runs to write example queries for")
    first = runs[0]
    second = runs[1] if len(runs) > 1 else runs[0]
    layers = [row["name"] for row in store.query_named("model_layers", {"model": first.model})]
    classes = store.query_named("run_classes", {"run": first.id})
    if len(layers) < 3 or not classes:
        raise RelexError(f"run {first.id} has no classes or too few layers for the examples")
    output, hidden = layers[-1], layers[-2]
    name = classes[0]["name"]
    return (
        ExampleQuery(
            f"the 5 neurons of {hidden} that carry most relevance for '{name}' in {first.id}",
            f"MATCH (c:Class)-[r:RELEVANT]->(n:Neuron) "
            f"WHERE r.run = {_text(first.id)} AND c.name = {_text(name)} "
            f"AND n.layer = {_text(hidden)} "
            "RETURN n.id AS neuron, r.relevance AS relevance, r.rank AS rank "
            "ORDER BY rank LIMIT 5",
        ),
        ExampleQuery(
            f"the strongest relevance flows from the output {output} down to {hidden} "
            f"for '{name}' in {first.id}",
            f"MATCH (:Class {{id: {_text(classes[0]['id'])}}})-[:HOLDS]->(o:ClassNeuron)"
            "-[f:FLOW]->(n:ClassNeuron) "
            f"WHERE o.run = {_text(first.id)} AND o.layer = {_text(output)} "
            "RETURN o.neuron AS output, n.neuron AS neuron, f.share AS share, "
            "f.relevance AS relevance "
            "ORDER BY share DESC LIMIT 5",
        ),
        ExampleQuery(
            f"the {hidden} neurons whose mean relevance for a class shifts most between "
            f"{first.id} and {second.id}",
            f"MATCH (a:Class)-[ra:RELEVANT]->(n:Neuron)<-[rb:RELEVANT]-(b:Class) "
            f"WHERE ra.run = {_text(first.id)} AND rb.run = {_text(second.id)} "
            f"AND a.name = b.name AND n.layer = {_text(hidden)} "
            "RETURN a.name AS class, n.id AS neuron, ra.mean AS mean_a, rb.mean AS mean_b "
            "ORDER BY abs(ra.mean - rb.mean) DESC LIMIT 5",
        ),
        ExampleQuery(
            f"the path that carries the most evidence for '{name}' in {first.id}, output first "
            "(the score is the relevance it carries)",
            f"MATCH (p:CriticalPath)-[s:STEP]->(n:Neuron) "
            f"WHERE p.run = {_text(first.id)} AND p.class = {_text(classes[0]['id'])} "
            "AND p.sign = 'positive' AND p.rank = 1 "
            "RETURN s.position AS step, n.id AS neuron, p.score AS score ORDER BY step",
        ),
    )


def _text(value: str) -> str:
    """A Cypher string literal (for the printed examples a person copies, never for execution
    of user input: queries the project runs take parameters)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

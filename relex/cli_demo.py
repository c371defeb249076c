"""``relex demo``: the whole product on this machine in one command (see :mod:`ingest.demo`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from relex.queries import RunRow, StoreSettings, open_store

if TYPE_CHECKING:
    from relex.api.settings import Settings
    from relex.ingest.demo import ExampleQuery


def demo_command(
    images_per_class: Annotated[
        int, typer.Option(min=1, help="Images explained per class and dataset.")
    ] = 30,
    train_images: Annotated[
        int, typer.Option(min=12, help="Synthetic images the small CNN is trained on.")
    ] = 3000,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs of the small CNN.")] = 5,
    top_k: Annotated[int, typer.Option(min=1, help="Incoming edges kept per neuron.")] = 8,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 16,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic images and training.")] = 0,
    device: Annotated[
        str | None, typer.Option(help="auto, cpu or cuda (default: $RELEX_DEVICE, else auto).")
    ] = None,
    imagenet: Annotated[
        list[Path] | None,
        typer.Option(
            help="An Imagenette/Imagewoof folder to explain with ImageNet VGG16 instead of the "
            "synthetic demo (repeat it to compare datasets; needs the weights in TORCH_HOME)."
        ),
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Embedded store file (default: $RELEX_STORE_PATH).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for the cached model (default: $RELEX_DATA_DIR)."),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the API and page at the end.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="API host (default: $RELEX_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default: $RELEX_API_PORT).")] = None,
) -> None:
    """Synthetic data, a trained small CNN, both datasets in the graph, then the API and page."""
    from relex.api.settings import get_settings
    from relex.ingest.demo import (
        demo_model_files,
        example_queries,
        imagenet_runs,
        ingest_demo,
        train_demo_model,
    )

    settings = get_settings()
    chosen_device = device or settings.device
    store_path = store or settings.store_path
    folder = data_dir or settings.data_dir
    cached = demo_model_files(data_dir=folder, train_images=train_images, epochs=epochs, seed=seed)[
        0
    ].is_file()
    typer.echo(
        _plan(imagenet, cached, train_images, epochs, images_per_class, store_path), err=True
    )
    if not imagenet:
        model = train_demo_model(
            data_dir=folder, train_images=train_images, epochs=epochs, seed=seed
        )
        how = "cached" if model.cached else f"trained in {model.seconds:.0f} s"
        typer.echo(
            f"small CNN ({how}): {model.test_accuracy:.1%} test accuracy on "
            f"{model.test_images} held-out shapes-a images -> {model.checkpoint}"
        )
    with open_store(StoreSettings(path=store_path, engine=settings.store_engine)) as graph:
        if imagenet:
            runs = imagenet_runs(
                store=graph,
                folders=imagenet,
                images_per_class=images_per_class,
                top_k=top_k,
                batch_size=batch_size,
                device=chosen_device,
            )
        else:
            runs = ingest_demo(
                store=graph,
                checkpoint=model.checkpoint,
                images_per_class=images_per_class,
                seed=seed,
                top_k=top_k,
                batch_size=batch_size,
                device=chosen_device,
            )
        examples = example_queries(store=graph, runs=runs)
    _report(runs, examples, store_path)
    if serve:
        served = settings.model_copy(
            update={
                "store_backend": "embedded",
                "store_path": store_path,
                "api_host": host or settings.api_host,
                "api_port": port or settings.api_port,
                "data_roots": _roots_with(settings, imagenet or []),
            }
        )
        shown = "localhost" if served.api_host in ("0.0.0.0", "::") else served.api_host
        typer.echo(f"\nthe explorer: http://{shown}:{served.api_port}/  (Ctrl-C stops it)")
        serve_api(served)


TRAINING_CPU_MINUTES = 5.0
"""The demo's default training (3,000 images, 5 epochs) on the 2-core reference machine."""


def _plan(
    imagenet: list[Path] | None,
    cached: bool,
    train_images: int,
    epochs: int,
    images_per_class: int,
    store: Path,
) -> str:
    """What the demo is about to do and roughly how long its slow step takes."""
    if imagenet:
        return (
            f"relex demo: explains {images_per_class} images per class of "
            f"{len(imagenet)} folder(s) with ImageNet VGG16 into {store}, then serves the page"
        )
    minutes = TRAINING_CPU_MINUTES * train_images * epochs / (3000 * 5)
    training = (
        "reuses the small CNN it trained before"
        if cached
        else f"trains a small CNN on {train_images} synthetic images for {epochs} epochs (about "
        f"{minutes:.0f} min on 2 CPU cores, longer on a busy machine, much less on a GPU; kept "
        "in the data folder for the next time)"
    )
    return (
        f"relex demo: {training}, explains {images_per_class} images per class of two datasets "
        f"into {store}, then serves the page"
    )


def _roots_with(settings: Settings, folders: list[Path]) -> str | None:
    """The data roots with the demo's image folders added, so the page can show their images."""
    if not folders:
        return settings.data_roots
    configured = settings.data_roots or os.pathsep.join([str(settings.data_dir), str(Path.cwd())])
    return os.pathsep.join([configured, *(str(folder) for folder in folders)])


def serve_api(settings: Settings) -> None:
    """Run the API and page on ``settings`` until interrupted."""
    from relex.api.server import serve

    serve(settings)


def _report(runs: tuple[RunRow, ...], examples: tuple[ExampleQuery, ...], store: Path) -> None:
    for run in runs:
        accuracy = "n/a" if run.accuracy is None else f"{run.accuracy:.1%}"
        typer.echo(
            f"run {run.id}: {run.images} images in {run.classes} classes of {run.dataset}, "
            f"{run.flows} flow edges, model accuracy {accuracy}"
        )
    typer.echo(f"\nthe graph is in {store}. Cypher queries to try in the page's console")
    typer.echo(f'(or, also while the server runs, with: relex cypher "QUERY" --store {store}):')
    for number, example in enumerate(examples, start=1):
        typer.echo(f"\n{number}. {example.title}:\n   {example.cypher}")

"""``relex``: a thin command line over keyword-only functions. Errors a user can fix become one
line on stderr and exit status 2, never a traceback.

This package is the composition root, the only code that sees every layer. Its modules import
torch and the API inside the commands that need them, so ``relex --help``, ``relex query`` and
``relex cypher`` load neither."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from relex.cli_cypher import cypher_command
from relex.cli_demo import demo_command
from relex.cli_evaluate import evaluate_app
from relex.cli_query import query_app
from relex.cli_serve import serve_command
from relex.ingest.errors import RelexError
from relex.ingest.registry import EXPLAIN_METHODS, LRP_METHODS, MODELS
from relex.ingest.settings import IngestSettings
from relex.queries import StoreSettings
from relex.queries.errors import UserError

app = typer.Typer(
    name="relex",
    help="Explain CNNs with LRP and explore relevance as a graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(query_app, name="query")


ModelOption = Annotated[str, typer.Option(help=f"Model: {', '.join(MODELS)}.")]
WeightsOption = Annotated[
    str, typer.Option(help="'imagenet' (from the torch hub cache), 'none' (random), or a file.")
]
DeviceOption = Annotated[
    str | None, typer.Option(help="auto, cpu or cuda (default: $RELEX_DEVICE, else auto).")
]


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
def explain(
    images: Annotated[list[Path], typer.Argument(help="Image files to explain.")],
    model: ModelOption = "vgg16",
    weights: WeightsOption = "imagenet",
    method: Annotated[str, typer.Option(help=f"One of: {', '.join(EXPLAIN_METHODS)}.")] = (
        "epsilon_gamma_box"
    ),
    target: Annotated[
        str, typer.Option(help="'auto' (the prediction), a class index or a class name.")
    ] = "auto",
    out: Annotated[Path, typer.Option(help="Folder for the PNG and .npy files.")] = Path(
        "relex-out"
    ),
    device: DeviceOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print the preprocessing.")] = False,
) -> None:
    """Write heatmaps (input beside relevance, and raw .npy) for IMAGES; an unreadable image is
    reported on stderr, the others are still explained, and the exit status is then 2."""
    from relex.ingest.explain import explain_images
    from relex.ingest.models import architecture

    if verbose:
        typer.echo(f"preprocessing: {architecture(model).preprocessing.describe()}", err=True)
    report = explain_images(
        images,
        model=model,
        weights=weights,
        method=method,
        target=target,
        out=out,
        device=device or IngestSettings().device,
        batch_size=batch_size,
    )
    if as_json:
        typer.echo(json.dumps([asdict(result) for result in report.explanations], indent=2))
    else:
        for result in report.explanations:
            delta = "n/a" if result.delta is None else f"{result.delta:+.3e}"
            typer.echo(
                f"{result.image}: predicted {result.predicted_name} ({result.predicted}); "
                f"explained {result.target_name} ({result.target}), logit {result.logit:.4f}, "
                f"conservation delta {delta} -> {result.png}"
            )
    for failure in report.failures:
        typer.echo(f"error: {failure.reason}", err=True)
    if report.failures:
        raise typer.Exit(2)


@app.command("ingest")
def ingest_command(
    dataset: Annotated[
        str,
        typer.Option(
            help="KIND:PATH, e.g. imagefolder:/data/imagenette2?split=val, "
            "mnist:/data/mnist, synthetic:shapes-a?n=600."
        ),
    ],
    run: Annotated[str, typer.Option(help="Run name: the id a re-run resumes.")],
    model: ModelOption = "vgg16",
    weights: WeightsOption = "imagenet",
    method: Annotated[str, typer.Option(help=f"One of: {', '.join(LRP_METHODS)}.")] = (
        "epsilon_gamma_box"
    ),
    top_k: Annotated[int, typer.Option(help="Incoming edges kept per neuron and class.")] = 8,
    paths: Annotated[
        int, typer.Option(help="Critical paths stored per class and sign (evidence for, against).")
    ] = 5,
    batch_size: Annotated[int, typer.Option(help="Images per batch.")] = 16,
    device: DeviceOption = None,
    classes: Annotated[
        str | None, typer.Option(help="Comma-separated dataset class indices (default: all).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many images per class.")] = None,
    group_by: Annotated[str, typer.Option(help="Aggregate by 'label' or 'prediction'.")] = (
        "label"
    ),
    store: Annotated[
        Path | None, typer.Option(help="Embedded store file (default: $RELEX_STORE_PATH).")
    ] = None,
    nproc: Annotated[
        int, typer.Option(help="Ranks to start on this machine (under torchrun: leave at 1).")
    ] = 1,
) -> None:
    """Explain a dataset and write per-class relevance graphs to the graph store (resumable).
    A store this command creates is removed again if the run fails before its first class."""
    from relex.ingest.launch import ingest_on_ranks
    from relex.ingest.worker import IngestOptions

    options = IngestOptions(
        run=run,
        dataset=dataset,
        model=model,
        weights=weights,
        method=method,
        top_k=top_k,
        paths=paths,
        batch_size=batch_size,
        device=device or IngestSettings().device,
        classes=_class_list(classes),
        limit=limit,
        group_by=group_by,  # type: ignore[arg-type]
    )
    settings = StoreSettings.from_env()
    if store is not None:
        settings = dataclasses.replace(settings, path=store)
    finished = ingest_on_ranks(options, settings, nproc)
    if finished is None:
        return
    accuracy = "n/a" if finished.accuracy is None else f"{finished.accuracy:.1%}"
    typer.echo(
        f"run {finished.id}: {finished.images} images in {finished.classes} classes, "
        f"{finished.flows} flow edges, accuracy {accuracy}, {finished.skipped} unreadable "
        "images skipped"
    )


@app.command()
def train(
    dataset: Annotated[str, typer.Option(help="KIND:PATH, e.g. synthetic:shapes-a?n=1200.")],
    out: Annotated[Path, typer.Option(help="Checkpoint file, or a folder for <model>.pt.")],
    model: Annotated[str, typer.Option(help="smallcnn64 (colour) or smallcnn28 (grey).")] = (
        "smallcnn64"
    ),
    epochs: Annotated[int, typer.Option(min=1)] = 5,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Train the small CNN on a dataset (a held-out split is never trained on)."""
    from relex.ingest.datasets import open_dataset
    from relex.ingest.training import train_small_cnn

    report = train_small_cnn(
        open_dataset(dataset),
        model_name=model,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        out=out,
    )
    typer.echo(
        f"{report.model_name} on {report.dataset}: train accuracy {report.train_accuracy:.1%}, "
        f"test accuracy {report.test_accuracy:.1%} ({report.test_images} held-out images), "
        f"{report.seconds:.0f} s -> {report.checkpoint}"
    )


app.command("cypher")(cypher_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)


def _class_list(classes: str | None) -> tuple[int, ...] | None:
    if classes is None:
        return None
    try:
        return tuple(int(part) for part in classes.split(",") if part.strip())
    except ValueError:
        raise RelexError(
            f"--classes takes comma-separated class indices, not {classes!r}"
        ) from None


def main() -> None:
    """Entry point of the ``relex`` console script."""
    try:
        app()
    except UserError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()

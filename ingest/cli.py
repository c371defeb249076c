"""``relex``: a thin command line over keyword-only functions. Errors a user can fix become one
line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from ingest.errors import RelexError
from ingest.explain import METHODS, explain_images
from ingest.models import ARCHITECTURES, architecture

app = typer.Typer(
    name="relex",
    help="Explain CNNs with LRP and explore relevance as a graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    model: Annotated[str, typer.Option(help=f"Model: {', '.join(ARCHITECTURES)}.")] = "vgg16",
    weights: Annotated[
        str, typer.Option(help="'imagenet' (from the torch hub cache), 'none' (random), or a file.")
    ] = "imagenet",
    method: Annotated[str, typer.Option(help=f"One of: {', '.join(METHODS)}.")] = (
        "epsilon_gamma_box"
    ),
    target: Annotated[
        str, typer.Option(help="'auto' (the prediction), a class index or a class name.")
    ] = "auto",
    out: Annotated[Path, typer.Option(help="Folder for the PNG and .npy files.")] = Path(
        "relex-out"
    ),
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print the preprocessing.")] = False,
) -> None:
    """Write heatmaps (input beside relevance, and raw .npy) for IMAGES."""
    if verbose:
        typer.echo(f"preprocessing: {architecture(model).preprocessing.describe()}", err=True)
    results = explain_images(
        images,
        model=model,
        weights=weights,
        method=method,
        target=target,
        out=out,
        device=device,
        batch_size=batch_size,
    )
    if as_json:
        typer.echo(json.dumps([asdict(result) for result in results], indent=2))
        return
    for result in results:
        delta = "n/a" if result.delta is None else f"{result.delta:+.3e}"
        typer.echo(
            f"{result.image}: predicted {result.predicted_name} ({result.predicted}); "
            f"explained {result.target_name} ({result.target}), logit {result.logit:.4f}, "
            f"conservation delta {delta} -> {result.png}"
        )


def main() -> None:
    """Entry point of the ``relex`` console script."""
    try:
        app()
    except RelexError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)

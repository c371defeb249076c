"""``relex evaluate``: how good are the explanations. Scores a stored run's model on its dataset
(``--run``) or runs one named experiment (``relex evaluate experiment NAME``); both write a
Markdown report with PNG plots."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from relex.ingest.errors import RelexError
from relex.ingest.registry import (
    DEFAULT_EVALUATION_METHODS,
    EVALUATION_METHODS,
    EXPERIMENTS,
    METRICS,
)
from relex.queries import StoreSettings, open_store

ALL_DEFAULT_METHODS = ",".join(DEFAULT_EVALUATION_METHODS)
ALL_METRICS = ",".join(METRICS)

evaluate_app = typer.Typer(
    help="Evaluate explanations: faithfulness, localisation, sanity, the seed papers' experiments.",
    invoke_without_command=True,
)

MethodsOption = Annotated[
    str, typer.Option(help=f"Comma-separated methods from: {', '.join(EVALUATION_METHODS)}.")
]
LimitOption = Annotated[int, typer.Option(min=1, help="Images evaluated (the dataset's first).")]
ReportOption = Annotated[Path, typer.Option(help="Folder for report.md and the PNG plots.")]
DeviceOption = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
SeedOption = Annotated[int, typer.Option(help="Seed of the random map and random orders.")]


@evaluate_app.callback()
def evaluate(
    context: typer.Context,
    run: Annotated[str | None, typer.Option(help="The stored run to evaluate.")] = None,
    methods: MethodsOption = ALL_DEFAULT_METHODS,
    metrics: Annotated[
        str, typer.Option(help=f"Comma-separated metrics from: {', '.join(METRICS)}.")
    ] = ALL_METRICS,
    limit: LimitOption = 48,
    patch: Annotated[int, typer.Option(min=1, help="Side of a perturbed region (pixels).")] = 8,
    steps: Annotated[int, typer.Option(min=1, help="Regions removed for AOPC.")] = 16,
    randomisation: Annotated[
        str, typer.Option(help="Methods for the randomisation check ('' for none).")
    ] = "epsilon_gamma_box,gradient",
    report: ReportOption = Path("relex-report"),
    store: Annotated[
        Path | None, typer.Option(help="Embedded store file (default: $RELEX_STORE_PATH).")
    ] = None,
    device: DeviceOption = "auto",
    seed: SeedOption = 0,
) -> None:
    """Score --run's model on its dataset with each method and metric; write the report and store
    the scores on the Run node. Or: relex evaluate experiment NAME."""
    from relex.ingest.evaluation.commands import EvaluationSettings, evaluate_run, parse_list

    settings = EvaluationSettings(
        methods=parse_list(methods),
        metrics=parse_list(metrics),
        limit=limit,
        patch=patch,
        steps=steps,
        randomisation=parse_list(randomisation),
        seed=seed,
        device=device,
    )
    if context.invoked_subcommand is not None:
        context.obj = settings
        return
    if run is None:
        raise RelexError("give --run RUN to evaluate, or use: relex evaluate experiment NAME")
    store_settings = StoreSettings.from_env()
    if store is not None:
        store_settings = dataclasses.replace(store_settings, path=store)
    with open_store(store_settings) as graph:
        path, document = evaluate_run(graph, run, report=report, settings=settings)
    typer.echo(f"run {run}: {document['images']} images of {document['dataset']} -> {path}")
    for method, scores in document["methods"].items():
        shown = ", ".join(
            f"{name} {value:.3g}" for name, value in scores.items() if value is not None
        )
        typer.echo(f"  {method}: {shown}")


@evaluate_app.command()
def experiment(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(EXPERIMENTS)}.")],
    dataset: Annotated[
        str, typer.Option(help="KIND:PATH, e.g. synthetic:shapes-a?n=60, digits:, mnist:/data.")
    ],
    model: Annotated[str, typer.Option(help="smallcnn64, smallcnn28 or a VGG.")] = "smallcnn64",
    weights: Annotated[
        str, typer.Option(help="A checkpoint file, 'imagenet' or 'none' (random weights).")
    ] = "none",
    composite: Annotated[str, typer.Option(help="LRP composite of the selection.")] = (
        "epsilon_gamma_box"
    ),
    ks: Annotated[str, typer.Option(help="Comma-separated k of the selection.")] = (
        "1,2,4,8,16,32,64"
    ),
    threshold: Annotated[float, typer.Option(help="SMAPE (%) the selection must reach.")] = 50.0,
    report: ReportOption = Path("relex-report"),
) -> None:
    """Run one experiment (the options before 'experiment' set methods, limit, device, ...)."""
    from relex.ingest.evaluation.commands import EvaluationSettings, parse_list, run_experiment

    settings = context.obj if isinstance(context.obj, EvaluationSettings) else EvaluationSettings()
    try:
        steps = tuple(int(k) for k in parse_list(ks))
    except ValueError:
        raise RelexError(f"--ks takes comma-separated integers, not {ks!r}") from None
    path = run_experiment(
        name,
        model=model,
        weights=weights,
        dataset=dataset,
        report=report,
        settings=settings,
        composite=composite,
        ks=steps,
        threshold=threshold,
    )
    typer.echo(f"experiment {name}: {path}")

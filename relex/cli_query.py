"""``relex query ...``: the query catalogue on the command line, as readable tables (or JSON).

Thin commands over ``queries.analysis``: unknown ids and bad arguments raise StoreError
subclasses, which ``relex``'s entry point prints as one "error: ..." line with exit status 2.
While ``relex serve`` holds the store, each command asks the server instead
(:mod:`relex.cli_remote`), with the same output. Every table says which run and class it shows
and in what units.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

from relex.cli_remote import answer
from relex.cli_tables import cell, head, line, percent, table
from relex.queries import GraphStore, StoreSettings
from relex.queries.analysis import (
    ClassComparison,
    ClassInfo,
    CriticalPaths,
    DatasetComparison,
    LayerInfo,
    NeuronDetail,
    RankedNeuron,
    RunInfo,
    compare_classes,
    compare_datasets,
    critical_paths,
    find_class,
    list_classes,
    list_layers,
    list_runs,
    neuron_detail,
    subgraph,
    top_neurons,
)
from relex.queries.ids import parse_neuron_id

query_app = typer.Typer(
    help="Ask the graph: top neurons, critical paths, comparisons, subgraphs, neurons.",
    no_args_is_help=True,
)

RunOption = Annotated[str, typer.Option("--run", help="Run id.")]
ClassOption = Annotated[str, typer.Option("--class", help='Class id, "<dataset>/<index>".')]
StoreOption = Annotated[
    Path | None, typer.Option(help="Embedded store file (default: $RELEX_STORE_PATH).")
]
FormatOption = Annotated[Literal["table", "json"], typer.Option("--format", help="table or json.")]


T = TypeVar("T")
RETAINED = (
    "retained = the share of the neuron's relevance flow magnitude that its stored edges keep "
    "(the graph stores the strongest edges only)"
)


def _settings(path: Path | None) -> StoreSettings:
    settings = StoreSettings.from_env()
    return settings if path is None else dataclasses.replace(settings, path=path)


def _ask(
    store: Path | None,
    function: Callable[..., T],
    api_path: str,
    result: Any,
    **arguments: Any,
) -> T:
    """``function(store, **arguments)``, or the running server's answer at ``api_path``."""

    def local(graph: GraphStore) -> T:
        return function(graph, **arguments)

    return answer(_settings(store), local, api_path, arguments, result)


def _class(store: Path | None, run: str, class_id: str) -> ClassInfo:
    return _ask(store, find_class, "/api/class", ClassInfo, run=run, class_id=class_id)


def _about(run: str, info: ClassInfo) -> str:
    """Which run and class a table shows, and the unit of its relevance."""
    return (
        f"run {run}, class {info.id} ({info.name}); relevance in logit units, summed over the "
        f"class's {info.images} images"
    )


def _emit(result: object, output: str, render: Callable[[], str]) -> None:
    if output == "json":
        typer.echo(json.dumps(_plain(result), indent=2))
    else:
        typer.echo(render())


def _plain(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@query_app.command("runs")
def runs_command(store: StoreOption = None, output: FormatOption = "table") -> None:
    """List the runs in the store."""
    found = _ask(store, list_runs, "/api/runs", list[RunInfo])
    _emit(
        found,
        output,
        lambda: table(
            ["run", "model", "dataset", "method", "status", "classes", "images", "flows"],
            [
                (r.id, r.model, r.dataset, r.method, r.status, r.classes, r.images, r.flows)
                for r in found
            ],
        ),
    )


@query_app.command("classes")
def classes_command(
    run: RunOption, store: StoreOption = None, output: FormatOption = "table"
) -> None:
    """List the classes a run has relevance for, and its layers."""
    path = f"/api/runs/{urllib.parse.quote(run, safe='')}"
    found = _ask(store, _classes_of, f"{path}/classes", list[ClassInfo], run=run)
    layers = _ask(store, _layers_of, f"{path}/layers", list[LayerInfo], run=run)

    def render() -> str:
        head = f"run {run}: {len(found)} classes with relevance"
        rows = [(c.id, c.name, c.wnid, c.images) for c in found]
        listed = table(["class", "name", "wnid", "images"], rows) if found else "no class yet"
        sizes = ", ".join(f"{layer.name} ({layer.size})" for layer in layers)
        return f"{head}\n{listed}\nlayers (neurons): {sizes}"

    _emit(found, output, render)


def _classes_of(graph: GraphStore, *, run: str) -> list[ClassInfo]:
    """list_classes, whose run travels in the API's path rather than its query string."""
    return list_classes(graph, run=run)


def _layers_of(graph: GraphStore, *, run: str) -> list[LayerInfo]:
    """list_layers, likewise."""
    return list_layers(graph, run=run)


@query_app.command("top-neurons")
def top_neurons_command(
    run: RunOption,
    class_id: ClassOption,
    layer: Annotated[str | None, typer.Option(help="One layer (default: every layer).")] = None,
    k: Annotated[int, typer.Option("-k", help="Neurons per layer.")] = 10,
    store: StoreOption = None,
    output: FormatOption = "table",
) -> None:
    """The neurons most relevant to a class, per layer."""
    found = _ask(
        store,
        top_neurons,
        "/api/top-neurons",
        list[RankedNeuron],
        run=run,
        class_id=class_id,
        layer=layer,
        k=k,
    )

    def render() -> str:
        info = _class(store, run, class_id)
        head = f"{_about(run, info)}; the {k} most relevant neurons of each layer (rank 1 = most)"
        rows = [(n.layer, n.index, n.rank, n.relevance, percent(n.retained)) for n in found]
        return (
            f"{head}\n"
            + table(["layer", "index", "rank", "relevance", "retained"], rows)
            + (f"\n{RETAINED}")
        )

    _emit(found, output, render)


@query_app.command("critical-paths")
def critical_paths_command(
    run: RunOption,
    class_id: ClassOption,
    k: Annotated[int, typer.Option("-k", help="How many paths.")] = 5,
    source: Annotated[
        str | None, typer.Option("--from", help="Start neuron (default: the class's output).")
    ] = None,
    target_layer: Annotated[
        str | None,
        typer.Option("--to", help="Target layer (default: the first layer above the input)."),
    ] = None,
    sign: Annotated[
        Literal["positive", "negative"],
        typer.Option(help="positive: evidence for the class; negative: evidence against it."),
    ] = "positive",
    store: StoreOption = None,
    output: FormatOption = "table",
) -> None:
    """The k paths that carry the most evidence for the class (or, --sign negative, against
    it); a path's score is the relevance it carries."""
    found = _ask(
        store,
        critical_paths,
        "/api/critical-paths",
        CriticalPaths,
        run=run,
        class_id=class_id,
        k=k,
        source=source,
        target_layer=target_layer,
        sign=sign,
    )
    _emit(found, output, lambda: _paths_table(found))


def _paths_table(found: CriticalPaths) -> str:
    """The paths as a table under a line that says what they are and in what units."""
    kind = "evidence for" if found.sign == "positive" else "evidence against"
    head = (
        f"run {found.run}, class {found.class_id}: {kind} the class, from {found.source} to "
        f"layer {found.target_layer}; score = relevance the path carries (summed over "
        f"{found.images} images)"
    )
    if not found.paths:
        return f"{head}\nno path of this sign exists in the stored graph"
    rows = [
        (i, p.score, p.cost, " > ".join(_short(n) for n in p.neurons))
        for i, p in enumerate(found.paths, 1)
    ]
    return f"{head}\n" + table(["#", "score", "cost", "path (layer/index)"], rows)


def _comparison_table(result: ClassComparison) -> str:
    def indices(values: tuple[int, ...]) -> str:
        return ",".join(map(str, values)) or "-"

    layers = table(
        ["layer", "neurons", "jaccard", "spearman", "shared top-k", "only A", "only B"],
        [
            (
                c.layer + ("" if c.informative else " *"),
                c.neurons,
                c.jaccard,
                c.spearman,
                indices(c.shared),
                indices(c.only_a),
                indices(c.only_b),
            )
            for c in result.layers
        ],
    )
    return (
        f"{result.run_a} {result.class_a}  vs  {result.run_b} {result.class_b}  (k={result.k})\n"
        f"{layers}\nmean jaccard {_number(result.mean_jaccard)}, mean spearman "
        f"{_number(result.mean_spearman)} over layers of more than {result.k} neurons"
        f"{_left_out(result)}\nshared critical edges: {len(result.shared_edges)} "
        f"(of {result.edges_a} and {result.edges_b})"
    )


def _left_out(result: ClassComparison | None) -> str:
    """Which layers the means leave out (at most k neurons: every one is in both top-k)."""
    small = [c.layer for c in result.layers if not c.informative] if result else []
    return f" (* left out: {', '.join(small)})" if small else ""


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@query_app.command("compare-classes")
def compare_classes_command(
    run_a: Annotated[str, typer.Option(help="Run of the first class.")],
    class_a: Annotated[str, typer.Option(help="First class id.")],
    class_b: Annotated[str, typer.Option(help="Second class id.")],
    run_b: Annotated[str | None, typer.Option(help="Run of the second (default: run-a).")] = None,
    k: Annotated[int, typer.Option("-k", help="Top-k neurons per layer.")] = 10,
    store: StoreOption = None,
    output: FormatOption = "table",
) -> None:
    """Two classes layer by layer: Jaccard of top-k sets, Spearman, shared neurons and edges."""
    found = _ask(
        store,
        compare_classes,
        "/api/compare/classes",
        ClassComparison,
        run_a=run_a,
        class_a=class_a,
        run_b=run_b or run_a,
        class_b=class_b,
        k=k,
    )
    _emit(found, output, lambda: _comparison_table(found))


@query_app.command("compare-datasets")
def compare_datasets_command(
    run_a: Annotated[str, typer.Option(help="First run.")],
    run_b: Annotated[str, typer.Option(help="Second run.")],
    k: Annotated[int, typer.Option("-k", help="Top-k neurons per layer.")] = 10,
    store: StoreOption = None,
    output: FormatOption = "table",
) -> None:
    """The classes two runs share (by wnid or name), each pair compared; in a table, each pair's
    row shows as soon as it is computed."""
    headers = ["class A", "class B", "mean jaccard", "mean spearman", "shared edges"]
    widths = [24, 24, 12, 13, 12]
    shown: list[ClassComparison] = []

    def stream(pair: ClassComparison) -> None:
        if not shown:
            typer.echo("\n".join(head(headers, widths)))
        shown.append(pair)
        cells = (pair.class_a, pair.class_b, pair.mean_jaccard, pair.mean_spearman)
        typer.echo(line([cell(value) for value in (*cells, len(pair.shared_edges))], widths))

    def local(graph: GraphStore) -> DatasetComparison:
        streaming = stream if output == "table" else None
        return compare_datasets(graph, run_a=run_a, run_b=run_b, k=k, on_pair=streaming)

    arguments = {"run_a": run_a, "run_b": run_b, "k": k}
    found = answer(_settings(store), local, "/api/compare/datasets", arguments, DatasetComparison)
    if output == "table":  # the rest: a server's answer comes whole
        for pair in found.matched[len(shown) :]:
            stream(pair)

    def summary() -> str:
        return (
            f"{run_a} (accuracy {percent(found.accuracy_a)}) vs {run_b} (accuracy "
            f"{percent(found.accuracy_b)}), top-{k} neurons per layer; means over layers of "
            f"more than {k} neurons{_left_out(found.matched[0] if found.matched else None)}"
            f"\nonly in {run_a}: {', '.join(c.name for c in found.only_a) or '-'}"
            f"\nonly in {run_b}: {', '.join(c.name for c in found.only_b) or '-'}"
        )

    _emit(found, output, summary)


@query_app.command("subgraph")
def subgraph_command(
    run: RunOption,
    class_id: ClassOption,
    seeds: Annotated[
        list[str] | None, typer.Option("--seed", help="Seed neuron (repeat; default: output).")
    ] = None,
    up: Annotated[int, typer.Option(help="Steps towards the output.")] = 2,
    down: Annotated[int, typer.Option(help="Steps towards the input.")] = 2,
    min_share: Annotated[float, typer.Option(help="Follow edges with at least this share.")] = 0.0,
    max_nodes: Annotated[int, typer.Option(help="Stop at this many neurons.")] = 500,
    store: StoreOption = None,
    output: FormatOption = "table",
) -> None:
    """The subgraph around seed neurons (JSON: cytoscape.js elements)."""
    found = _ask(
        store,
        _subgraph_out,
        "/api/subgraph",
        dict[str, Any],
        run=run,
        class_id=class_id,
        seeds=seeds,
        up=up,
        down=down,
        min_share=min_share,
        max_nodes=max_nodes,
    )
    elements = found["elements"]
    if output == "json":
        typer.echo(json.dumps(elements, indent=2))
        return
    cut = " (truncated at --max-nodes)" if found["truncated"] else ""
    typer.echo(
        f"{_about(run, _class(store, run, class_id))}\n{len(elements['nodes'])} neurons, "
        f"{len(elements['edges'])} edges{cut}; share = the fraction of the upper neuron's "
        "relevance of the edge's sign that the edge carries"
    )
    edges = [edge["data"] for edge in elements["edges"]]
    typer.echo(
        table(
            ["upper", "lower", "relevance", "share"],
            [(_short(e["source"]), _short(e["target"]), e["relevance"], e["share"]) for e in edges],
        )
    )


def _subgraph_out(graph: GraphStore, **arguments: Any) -> dict[str, Any]:
    """The subgraph as the API sends it: its cytoscape.js elements and whether it was cut."""
    found = subgraph(graph, **arguments)
    return {"elements": found.elements(), "truncated": found.truncated}


def _short(neuron: str) -> str:
    """``layer/index`` of a neuron id ``<model>/<layer>/<index>``."""
    return parse_neuron_id(neuron).local


@query_app.command("neuron")
def neuron_command(
    run: RunOption,
    neuron: Annotated[str, typer.Argument(help='Neuron id, "<model>/<layer>/<index>".')],
    k: Annotated[int, typer.Option("-k", help="Rows per section.")] = 10,
    store: StoreOption = None,
    output: FormatOption = "table",
) -> None:
    """One neuron: its layer, top classes, strongest edges and top images."""
    found = _ask(
        store, neuron_detail, "/api/neurons/detail", NeuronDetail, run=run, neuron=neuron, k=k
    )

    def render() -> str:
        def edges(rows: Sequence[Any], other: str) -> str:
            return table(
                ["class", other, "relevance", "share"],
                [
                    (
                        r.class_id,
                        r.edge.upper if other == "from" else r.edge.lower,
                        r.edge.relevance,
                        r.edge.share,
                    )
                    for r in rows
                ],
            )

        return "\n\n".join(
            [
                f"run {run}, neuron {found.id}: layer {found.layer.name} (depth "
                f"{found.layer.depth}, {found.layer.kind}), index {found.index}; relevance in "
                "logit units, summed over each class's images",
                table(
                    ["class", "name", "rank", "relevance"],
                    [(c.class_id, c.name, c.rank, c.relevance) for c in found.classes],
                ),
                "incoming\n" + edges(found.incoming, "from"),
                "outgoing\n" + edges(found.outgoing, "to"),
                table(
                    ["image", "relevance", "rank"],
                    [(i.image, i.relevance, i.rank) for i in found.images],
                ),
            ]
        )

    _emit(found, output, render)

"""``relex cypher``: the read-only Cypher console on the command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from relex.ingest.errors import RelexError
from relex.queries import open_store
from relex.queries.console import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_S, ConsoleResult, run_read_only
from relex.queries.settings import get_settings

CELL_WIDTH = 60


def cypher_command(
    query: Annotated[str, typer.Argument(help="One read-only Cypher statement.")],
    output: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json.")
    ] = "table",
    params: Annotated[
        str | None, typer.Option(help='Parameters as a JSON object, e.g. \'{"run": "r1"}\'.')
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.001, help="Time limit in seconds.")] = (
        DEFAULT_TIMEOUT_S
    ),
    max_rows: Annotated[int, typer.Option(min=1, help="Rows shown at most.")] = DEFAULT_MAX_ROWS,
    store: Annotated[
        Path | None, typer.Option(help="Embedded store file (default: $RELEX_STORE_PATH).")
    ] = None,
) -> None:
    """Run QUERY read-only against the graph store (writes are refused, the store unchanged)."""
    settings = get_settings().store_settings()
    if store is not None:
        settings = dataclasses.replace(settings, path=store)
    with open_store(settings, read_only=True) as graph:
        result = run_read_only(
            graph, query, parse_params(params), timeout_s=timeout, max_rows=max_rows
        )
    if output == "json":
        typer.echo(json.dumps(dataclasses.asdict(result), indent=2))
        return
    typer.echo(format_table(result))
    more = f"; more rows were left out (raise --max-rows above {max_rows})"
    summary = f"{len(result.rows)} row(s) in {result.elapsed_s:.3f} s"
    typer.echo(summary + more if result.truncated else summary, err=True)


def parse_params(text: str | None) -> dict[str, Any]:
    """``--params`` as a dict; RelexError unless it is a JSON object."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RelexError(f"--params is not valid JSON ({exc.msg} at {exc.pos}): {text!r}") from None
    if not isinstance(value, dict):
        raise RelexError(f"--params must be a JSON object like '{{\"k\": 5}}', got {text!r}")
    return value


def format_table(result: ConsoleResult) -> str:
    """Columns and rows aligned as plain text, long cells cut at ``CELL_WIDTH`` characters."""
    cells = [[_cell(value) for value in row] for row in result.rows]
    header = list(result.columns)
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(header)]
    lines = [
        " | ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, ["-" * width for width in widths], *cells]
    ]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 3] + "..."

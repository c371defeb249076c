"""``relex cypher``: the read-only Cypher console on the command line, in ``relex query``'s
tables; beside a running ``relex serve`` it asks the server (:mod:`relex.cli_remote`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from relex.cli_remote import REQUEST_TIMEOUT_S, answer
from relex.cli_tables import table
from relex.ingest.errors import RelexError
from relex.queries import GraphStore, StoreSettings
from relex.queries.console import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_S, ConsoleResult, run_read_only

CELL_WIDTH = 60
"""Longer cells (paths, lists, maps) are cut to this many characters."""


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
    settings = StoreSettings.from_env()
    if store is not None:
        settings = dataclasses.replace(settings, path=store)
    parameters = parse_params(params)

    def local(graph: GraphStore) -> ConsoleResult:
        return run_read_only(graph, query, parameters, timeout_s=timeout, max_rows=max_rows)

    body = {"query": query, "params": parameters, "timeout_s": timeout, "max_rows": max_rows}
    result = answer(
        settings,
        local,
        "/api/cypher",
        {},
        ConsoleResult,
        body=body,
        timeout_s=timeout + REQUEST_TIMEOUT_S,
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
    """Columns and rows as ``relex query`` shows them, long cells cut at ``CELL_WIDTH``."""
    return table(result.columns, result.rows, cell_width=CELL_WIDTH)

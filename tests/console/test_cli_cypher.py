"""``relex cypher``: table and JSON output on a real store; writes and bad input end with one
clear line and exit status 2, and the store is unchanged."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from relex.cli import main
from relex.cli_cypher import format_table, parse_params
from relex.ingest.errors import RelexError
from relex.queries.console import ConsoleResult
from relex.queries.embedded import EmbeddedStore
from tests.store.conftest import ENGINE
from tests.store.synthetic import SmallRun


def relex(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run ``relex cypher ARGS`` in this process: exit status, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["relex", "cypher", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture(autouse=True)
def _kuzu_only() -> None:
    if ENGINE != "kuzu":
        pytest.skip("the CLI reads its engine from the settings; covered on kuzu")


def test_json_output_and_refusals(
    run_path: tuple[SmallRun, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run, path = run_path
    code, out, err = relex(
        monkeypatch,
        capsys,
        "MATCH (n:Neuron) WHERE n.layer = $layer RETURN n.id AS id ORDER BY id",
        "--format",
        "json",
        "--params",
        '{"layer": "fc"}',
        "--store",
        str(path),
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["columns"] == ["id"] and answer["rows"] == [["tiny/fc/0"], ["tiny/fc/1"]]
    assert answer["truncated"] is False

    code, _, err = relex(monkeypatch, capsys, "MATCH (n) DETACH DELETE n", "--store", str(path))
    assert code == 2 and err.startswith("error: refused: DETACH changes the graph")

    code, _, err = relex(monkeypatch, capsys, "MATC (n) RETURN n", "--store", str(path))
    assert code == 2 and err.startswith("error: the query is not valid Cypher")
    with EmbeddedStore(path, engine=ENGINE, read_only=True) as store:
        assert store.counts() == run.counts


def test_table_output_is_aligned_and_says_when_rows_were_cut(
    run_path: tuple[SmallRun, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = relex(
        monkeypatch,
        capsys,
        "MATCH (l:Layer) RETURN l.name AS name, l.size AS size ORDER BY l.`index`",
        "--max-rows",
        "2",
        "--store",
        str(run_path[1]),
    )
    assert code == 0, err
    assert out.splitlines() == ["name  | size", "----- | ----", "input | 3", "conv1 | 4"]
    assert "2 row(s)" in err and "more rows were left out" in err


def test_a_missing_store_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = relex(monkeypatch, capsys, "RETURN 1", "--store", str(tmp_path / "none.kuzu"))
    assert code == 2 and "does not exist" in err


def test_long_cells_are_cut() -> None:
    result = ConsoleResult(("x",), (({"k": "v" * 100},),), truncated=False, elapsed_s=0.0)
    (_, _, cell) = format_table(result).splitlines()
    assert len(cell) == 60 and cell.endswith("...")


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_params_must_be_a_json_object(text: str) -> None:
    with pytest.raises(RelexError, match="--params"):
        parse_params(text)

"""``relex evaluate``: a stored run evaluated end to end (report, plots, scores on the Run node),
every experiment on tiny data, and clear errors for bad input. One call goes through the installed
command; the others run in-process (each new process spends seconds importing torch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relex.cli import app
from relex.ingest.errors import RelexError
from relex.ingest.evaluation.commands import EXPERIMENTS
from relex.ingest.evaluation.scores import read_scores
from relex.queries import DatasetRow, ModelRow, NotFoundError, RunRow, params_json
from relex.queries.embedded import EmbeddedStore

RELEX = [sys.executable, "-m", "relex"]
DATASET = "synthetic:shapes-a?size=28&grey=1&n=12&seed=4"


def relex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RELEX, *args], capture_output=True, text=True, timeout=300)


def in_process(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, result.exception


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "relex.kuzu"
    params = {"model": "smallcnn28", "weights": "none", "dataset": DATASET, "method": "epsilon"}
    with EmbeddedStore(path) as store:
        store.create_schema()
        store.write_nodes(
            [
                ModelRow("smallcnn28", arch="smallcnn28", layers=6, neurons=100),
                DatasetRow("shapes", kind="synthetic", path=DATASET),
                RunRow(
                    id="tiny",
                    name="tiny",
                    model="smallcnn28",
                    dataset="shapes",
                    method="epsilon",
                    params=params_json(params),
                ),
            ]
        )
    return path


def test_evaluate_a_run_writes_the_report_and_stores_the_scores(
    store_path: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    done = relex(
        "evaluate",
        "--run",
        "tiny",
        "--store",
        str(store_path),
        "--limit",
        "6",
        "--methods",
        "epsilon_gamma_box,random",
        "--metrics",
        "relevance_mass_accuracy,aopc,aopc_random",
        "--patch",
        "4",
        "--steps",
        "4",
        "--randomisation",
        "gradient",
        "--device",
        "cpu",
        "--report",
        str(report),
    )
    assert done.returncode == 0, done.stderr
    assert "run tiny: 6 images" in done.stdout
    text = (report / "report.md").read_text()
    assert "| epsilon_gamma_box |" in text and "perturbation.png" in text
    for plot in ("perturbation.png", "randomisation.png"):
        assert (report / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with EmbeddedStore(store_path, read_only=True) as store:
        scores = read_scores(store, "tiny")
    assert scores is not None and scores["images"] == 6
    assert set(scores["methods"]) == {"epsilon_gamma_box", "random"}
    assert set(scores["methods"]["random"]) == {"relevance_mass_accuracy", "aopc", "aopc_random"}
    assert json.dumps(scores)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_runs_on_small_data(name: str, tmp_path: Path) -> None:
    code, output, error = in_process(
        "evaluate",
        "--limit",
        "3",
        "--methods",
        "epsilon_gamma_box,gradient",
        "--patch",
        "4",
        "--steps",
        "2",
        "--device",
        "cpu",
        "experiment",
        name,
        "--dataset",
        DATASET,
        "--model",
        "smallcnn28",
        "--ks",
        "1,128",
        "--report",
        str(tmp_path),
    )
    assert code == 0, (output, error)
    assert (tmp_path / "report.md").read_text().startswith(f"# Experiment {name}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate"], "give --run RUN"),
        (["evaluate", "--run", "nope"], "run 'nope' is not in"),
        (["evaluate", "--run", "tiny", "--methods", "lime"], "unknown method(s) lime"),
        (["evaluate", "--run", "tiny", "--metrics", "iou"], "unknown metric(s) iou"),
        (["evaluate", "experiment", "nope", "--dataset", DATASET], "unknown experiment 'nope'"),
        (
            ["evaluate", "experiment", "selection", "--dataset", DATASET, "--ks", "a"],
            "--ks takes comma-separated integers",
        ),
    ],
)
def test_bad_input_is_one_clear_line(
    store_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    extra = ["--store", str(store_path)] if "--run" in args else []
    _, output, error = in_process(*args[:1], *extra, *args[1:], "--report", str(tmp_path))
    assert isinstance(error, RelexError | NotFoundError), (output, error)
    assert message in str(error)


def test_the_command_turns_an_error_into_one_line_and_exit_2(tmp_path: Path) -> None:
    done = relex("evaluate", "--report", str(tmp_path))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert (
        done.stderr == "error: give --run RUN to evaluate, or use: relex evaluate experiment NAME\n"
    )

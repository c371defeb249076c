"""``relex query`` and ``relex cypher`` while ``relex serve`` holds the store: the commands (run
in this process) ask the real server (a uvicorn process) and print exactly what they print
without it; the server's refusals are one error line; once the server is gone they open the
store again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from relex.cli import main
from relex.queries.analysis import list_classes
from relex.queries.embedded import EmbeddedStore
from relex.queries.lock import address_path, holder_address
from tests.helpers import free_port
from tests.queries.conftest import INGESTED_RUN
from tests.store.conftest import ENGINE

RELEX = [sys.executable, "-m", "relex.cli"]


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def relex(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Done]:
    """``relex ARGS`` in this process: exit status, stdout and stderr."""

    def run(*arguments: str) -> Done:
        monkeypatch.setattr(sys, "argv", ["relex", *arguments])
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = int(exited.code or 0)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


@pytest.fixture
def store_copy(ingested_store: Path, tmp_path: Path) -> Path:
    """A copy of the small real run that the server may hold for writing."""
    copy = tmp_path / "graph.kuzu"
    shutil.copy(ingested_store, copy)
    return copy


@pytest.fixture
def serving(store_copy: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``relex serve`` on a free loopback port, holding ``store_copy``."""
    environment = {**os.environ, "RELEX_API_TOKEN": "test-token", "RELEX_STORE_PATH": ""}
    environment.pop("RELEX_STORE_PATH")
    server = subprocess.Popen(
        [*RELEX, "serve", "--port", str(free_port()), "--store", str(store_copy)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while holder_address(store_copy) is None:
        assert server.poll() is None, "relex serve stopped"
        assert time.monotonic() < deadline, "relex serve did not start"
        time.sleep(0.01)  # no grace after the address appears: it must be answered at once
    try:
        yield server
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def commands(store: Path) -> list[list[str]]:
    with EmbeddedStore(store, engine=ENGINE, read_only=True) as graph:
        first, second = (c.id for c in list_classes(graph, run=INGESTED_RUN))
    run, where = ["--run", INGESTED_RUN], ["--store", str(store)]
    return [
        ["query", "runs", *where],
        ["query", "classes", *run, *where],
        ["query", "top-neurons", *run, "--class", first, "-k", "2", *where],
        ["query", "top-neurons", *run, "--class", "disk", "--format", "json", *where],
        ["query", "critical-paths", *run, "--class", first, "--sign", "negative", *where],
        ["query", "critical-paths", *run, "--class", second, "--format", "json", *where],
        ["query", "subgraph", *run, "--class", first, "--up", "0", "--down", "1", *where],
        ["query", "compare-classes", "--run-a", INGESTED_RUN, "--class-a", first, "--class-b",
         second, "-k", "3", *where],
        ["query", "compare-datasets", "--run-a", INGESTED_RUN, "--run-b", INGESTED_RUN, *where],
        ["query", "neuron", *run, "fc4/1", *where],
        ["cypher", "MATCH (c:Class) RETURN c.id AS id, c.name AS name ORDER BY id", *where],
    ]  # fmt: skip


def test_queries_beside_a_running_server_print_what_they_print_alone(
    store_copy: Path, request: pytest.FixtureRequest, relex: Callable[..., Done]
) -> None:
    asked = commands(store_copy)
    alone = [relex(*command) for command in asked]
    assert all(done.returncode == 0 for done in alone), [done.stderr for done in alone]
    server = request.getfixturevalue("serving")
    beside = [relex(*command) for command in asked]
    assert [done.stdout for done in beside] == [done.stdout for done in alone]
    assert all(done.returncode == 0 for done in beside)

    refused = relex("query", "top-neurons", "--run", "nope", "--class", "x", "--store",
                    str(store_copy))  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"error: run 'nope' is not in store {store_copy}"
    ]
    written = relex("cypher", "CREATE (:Run {id: 'x'})", "--store", str(store_copy))
    assert written.returncode == 2 and "error:" in written.stderr

    server.kill()
    server.wait(timeout=60)
    assert address_path(store_copy).exists()  # a killed server leaves its address behind
    assert relex(*asked[0]).stdout == alone[0].stdout


def test_a_store_held_by_a_process_that_serves_nothing_is_one_error_line(
    store_copy: Path, relex: Callable[..., Done]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; "
         "from relex.queries.embedded import EmbeddedStore; "
         f"s = EmbeddedStore(sys.argv[1], engine={ENGINE!r}); print('held', flush=True); "
         "time.sleep(600)", str(store_copy)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = relex("query", "runs", "--store", str(store_copy))
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"is in use by PID {holder.pid}" in line and "relex serve" in line

"""The contract suite on ladybug (in its own process: kuzu and ladybug cannot share one), and
the guard that stops a process from loading both."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.store.conftest import ENGINE

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = Path(__file__).with_name("test_contract.py")


@pytest.mark.skipif(ENGINE == "ladybug", reason="this process already runs the suite on ladybug")
def test_contract_suite_passes_on_ladybug(tmp_path: Path) -> None:
    report = tmp_path / "ladybug.xml"
    env = {**os.environ, "RELEX_STORE_ENGINE": "ladybug"}
    env.pop("NEO4J_URI", None)  # Neo4j is covered by this process's own run
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(CONTRACT),
            "-q",
            "-rxX",
            "-p",
            "no:cacheprovider",
            f"--confcutdir={CONTRACT.parent}",  # skip tests/conftest.py: it imports torch
            f"--junitxml={report}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=900,
        check=False,
    )
    output = child.stdout[-6000:] + child.stderr[-2000:]
    assert child.returncode == 0, output
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None, output
    assert int(suite.get("tests", "0")) >= 20, output
    assert suite.get("failures") == "0" and suite.get("errors") == "0", output


def test_loading_the_other_engine_in_one_process_is_refused() -> None:
    code = textwrap.dedent(
        """
        import tempfile, kuzu
        from queries import StoreError
        from queries.embedded import EmbeddedStore
        try:
            EmbeddedStore(tempfile.mkdtemp() + "/x.kuzu", engine="ladybug")
        except StoreError as exc:
            print(type(exc).__name__, exc)
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith("EngineConflictError cannot use ladybug: kuzu is already loaded")


def test_the_queries_package_never_imports_torch() -> None:
    code = (
        "import sys, queries, queries.embedded, queries.neo4j_store, queries.catalogue; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')))"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert child.stdout.strip() == "[]"

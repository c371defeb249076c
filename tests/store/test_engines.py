"""The contract suite on ladybug (in its own process: kuzu and ladybug cannot share one), and
the guard that stops a process from loading both."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import passes_on_ladybug
from tests.store.conftest import ENGINE

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = Path(__file__).with_name("test_contract.py")


@pytest.mark.skipif(ENGINE == "ladybug", reason="this process already runs the suite on ladybug")
def test_contract_suite_passes_on_ladybug(tmp_path: Path) -> None:
    passes_on_ladybug([CONTRACT], tmp_path / "ladybug.xml", min_tests=20)


def test_loading_the_other_engine_in_one_process_is_refused() -> None:
    code = textwrap.dedent(
        """
        import tempfile, kuzu
        from relex.queries import StoreError
        from relex.queries.embedded import EmbeddedStore
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

"""The query suite again on ladybug, in its own process (kuzu and ladybug cannot share one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import passes_on_ladybug
from tests.store.conftest import ENGINE

SUITE = [Path(__file__).with_name(name) for name in ("test_analysis.py", "test_neo4j.py")]


@pytest.mark.skipif(ENGINE == "ladybug", reason="this process already runs on ladybug")
def test_query_suite_passes_on_ladybug(tmp_path: Path) -> None:
    passes_on_ladybug(SUITE, tmp_path / "ladybug.xml", min_tests=10)

"""The query suite again on ladybug, in its own process (kuzu and ladybug cannot share one)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.store.conftest import ENGINE

ROOT = Path(__file__).resolve().parents[2]
SUITE = [Path(__file__).with_name(name) for name in ("test_analysis.py", "test_neo4j.py")]


@pytest.mark.skipif(ENGINE == "ladybug", reason="this process already runs on ladybug")
def test_query_suite_passes_on_ladybug(tmp_path: Path) -> None:
    report = tmp_path / "ladybug.xml"
    env = {**os.environ, "RELEX_STORE_ENGINE": "ladybug"}
    env.pop("NEO4J_URI", None)
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *map(str, SUITE),
            "-q",
            "-rxX",
            "-p",
            "no:cacheprovider",
            f"--confcutdir={SUITE[0].parent}",  # skip tests/conftest.py: it imports torch
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
    assert int(suite.get("tests", "0")) >= 10, output
    assert suite.get("failures") == "0" and suite.get("errors") == "0", output

"""What the distribution installs, and what the command line loads.

The wheel is built by setuptools itself (as ``pip install`` does) from a copy of the tree, and its
file list is read with ``zipfile``: one top-level package, ``relex``, the layers inside it. The
CLI runs in a child process that reports the modules it ended up with: ``--help``, ``query`` and
``cypher`` load neither torch nor the web framework."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "torchvision", "fastapi", "uvicorn", "api", "relex.api")

REPORTING = (
    "import json, runpy, sys\n"
    "sys.argv = ['relex', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('relex', run_name='__main__')\n"
    "except SystemExit as stop:\n"
    "    code = stop.code\n"
    "else:\n"
    "    code = 0\n"
    "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
)


def loaded_by(*arguments: str) -> tuple[object, set[str]]:
    """Run ``relex ARGUMENTS`` in a child process: its exit code and the modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", REPORTING, *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def heavy(modules: set[str]) -> list[str]:
    """The modules of torch, the web framework or the API among ``modules``."""
    return sorted(
        name for name in modules if any(name == top or name.startswith(f"{top}.") for top in HEAVY)
    )


@pytest.mark.parametrize(
    "arguments",
    [("--help",), ("query", "--help"), ("cypher", "--help"), ("evaluate", "--help")],
)
def test_help_loads_no_torch_and_no_api(arguments: tuple[str, ...]) -> None:
    code, modules = loaded_by(*arguments)
    assert code == 0
    assert "relex.cli" in modules
    assert heavy(modules) == []


def test_query_and_cypher_load_no_torch_and_no_api(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.kuzu")
    for arguments in (
        ("query", "runs", "--store", missing),
        ("cypher", "MATCH (r:Run) RETURN r.id", "--store", missing),
    ):
        code, modules = loaded_by(*arguments)
        assert code == 2  # no such store: one error line
        assert any(name.endswith("relex.queries.store") for name in modules)
        assert heavy(modules) == []


def test_the_check_names_what_it_finds() -> None:
    found = heavy({"torch.nn", "fastapi.routing", "relex.api.app", "relex.apiary", "numpy"})
    assert found == ["fastapi.routing", "relex.api.app", "torch.nn"]


def test_the_wheel_installs_one_top_level_package(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("relex", "ingest", "queries", "api"):
        shutil.copytree(
            ROOT / name,
            source / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "vendor"),
        )
    built = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(built), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = built.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"relex"}
    for expected in (
        "relex/cli.py",
        "relex/__main__.py",
        "relex/ingest/lrp/engine.py",
        "relex/queries/store.py",
        "relex/api/app.py",
    ):
        assert expected in names
    assert any(name.startswith("relex/queries/cypher/") and name.endswith(".cypher")
               for name in names)  # fmt: skip
    (entry_points,) = [name for name in names if name.endswith("entry_points.txt")]
    assert "relex = relex.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

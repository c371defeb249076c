"""The import graph, read from the source with ``ast`` and checked with networkx: the layers are
floors (the ``relex`` CLI -> api -> ingest -> queries), no import runs back up a floor, there is
no circle between modules, the graph layer imports no torch, and the LRP engine depends on
nothing outside itself but the error and name modules."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("queries", "ingest", "api")
FLOORS = {"queries": 0, "ingest": 1, "api": 2, "relex": 3}
HEAVY = ("torch", "torchvision", "fastapi", "uvicorn", "starlette")


def _module_files() -> dict[str, Path]:
    """Installed module name (``relex.cli``, ``relex.ingest.worker``, ...) -> file."""
    files: dict[str, Path] = {}
    for top in (*LAYERS, "relex"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if top == "relex" and len(parts) > 1 and parts[1] in LAYERS:
                continue  # relex/ingest etc. are the layers themselves, linked
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if top in LAYERS:
                parts = ("relex", *parts)
            files[".".join(parts)] = path
    return files


FILES = _module_files()


def _own(name: str) -> str | None:
    """``name`` as a key of :data:`FILES` (a layer imported by its bare name, as ``queries.x``,
    counts as ``relex.queries.x``), or None for a module outside the project."""
    if name.split(".")[0] in LAYERS:
        name = f"relex.{name}"
    return name if name.split(".")[0] == "relex" else None


def _exports(package: str) -> dict[str, str]:
    """For a package's ``__init__``: each name it imports from one of its modules -> that module."""
    tree = ast.parse(FILES[package].read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    }


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports (top-level, in functions, under TYPE_CHECKING alike). For
    ``from package import name``: the submodule ``package.name`` when there is one, else the
    module the package's ``__init__`` takes ``name`` from."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            own = _own(node.module)
            if own is None or FILES.get(own, path).name != "__init__.py":
                found.append(node.module)
                continue
            exports = _exports(own)
            for alias in node.names:
                if f"{own}.{alias.name}" in FILES:
                    found.append(f"{node.module}.{alias.name}")
                else:
                    found.append(exports.get(alias.name, node.module))
    return found


def _graph() -> nx.DiGraph:
    """Modules of the project, and the project modules each imports."""
    graph = nx.DiGraph()
    for name, path in FILES.items():
        graph.add_node(name)
        for imported in _imports(path):
            target = _own(imported)
            if target is not None and target in FILES and target != name:
                graph.add_edge(name, target)
    return graph


def _floor(module: str) -> int:
    """The floor of an installed module name: the layer's, or the CLI's."""
    parts = module.split(".")
    return FLOORS[parts[1]] if len(parts) > 1 and parts[1] in LAYERS else FLOORS["relex"]


def test_the_project_is_seen() -> None:
    assert {"relex.cli", "relex.ingest.worker", "relex.queries.store", "relex.api.app"} <= set(
        FILES
    )
    assert len(FILES) > 80


def test_no_import_runs_back_up_a_floor() -> None:
    upward = [
        f"{source} -> {target}"
        for source, target in _graph().edges
        if _floor(target) > _floor(source)
    ]
    assert upward == []


def test_no_circle_between_modules() -> None:
    graph = _graph()
    packages = [name for name in FILES if FILES[name].name == "__init__.py"]
    graph.remove_nodes_from(packages)  # an __init__ re-exports; its importers are resolved above
    assert list(nx.simple_cycles(graph)) == []


@pytest.mark.parametrize("layer", ["relex.queries"])
def test_the_graph_layer_imports_no_torch_and_no_web_framework(layer: str) -> None:
    heavy = [
        f"{name} imports {imported}"
        for name, path in FILES.items()
        if name.startswith(f"{layer}.")
        for imported in _imports(path)
        if imported.split(".")[0] in HEAVY
    ]
    assert heavy == []


def test_the_lrp_engine_depends_on_nothing_above_it() -> None:
    allowed = ("relex.ingest.lrp", "relex.ingest.errors", "relex.ingest.registry")
    outside = [
        f"{source} -> {target}"
        for source, target in _graph().edges
        if source.startswith("relex.ingest.lrp") and not target.startswith(allowed)
    ]
    assert outside == []


def test_the_engine_errors_pull_in_only_the_one_error_root() -> None:
    """The engine's ``ingest.errors`` subclasses the graph layer's root, and that is all it and
    the root's module import of the project."""
    graph = _graph()
    assert nx.descendants(graph, "relex.ingest.errors") == {"relex.queries.errors"}
    assert nx.descendants(graph, "relex.queries.errors") == set()


def test_the_layers_are_imported_by_one_name_only() -> None:
    """Either every import names ``relex.ingest`` (installed) or none does: a module imported
    by both names would be loaded twice, with two copies of its classes."""
    bare, prefixed = set(), set()
    for name, path in FILES.items():
        for imported in _imports(path):
            top = imported.split(".")[0]
            if top in LAYERS:
                bare.add(name)
            elif top == "relex" and imported.split(".")[1:2] and imported.split(".")[1] in LAYERS:
                prefixed.add(name)
    assert not (bare and prefixed), f"bare: {sorted(bare)[:5]}, prefixed: {sorted(prefixed)[:5]}"


def test_the_checks_would_see_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from relex.api.app import create_app\n", encoding="utf-8")
    assert "relex.api.app" in _imports(module)
    assert _own("relex.api.app") == _own("api" + ".app") == "relex.api.app"
    assert _floor("relex.api.app") > _floor("relex.ingest.worker")
    assert _floor("relex.cli") > _floor("relex.api.app")

"""Memory of repeated catalogue queries on the embedded store, with and without its cache of
prepared statements, each in a child process of its own.

    python -m bench.store_memory                    # 1,000 rounds of the queries, kuzu
    python -m bench.store_memory --calls 5000 --engine ladybug

Kuzu's ``Connection.execute(text, params)`` prepares the text on every call and keeps memory
that it never gives back; a statement prepared once and reused stays flat. The store prepares
each catalogue text once per parameter types (``EmbeddedStore._prepared``); the peer run here
replaces that with the plain text, as the store did before. Each child opens a generated
VGG-shaped graph (5 layers, 10 classes, top-8), runs ``critical_paths`` and ``top_neurons``
for 100 warm-up rounds, then ``--calls`` rounds, and reports its RSS growth after the warm-up.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relex.queries.analysis import critical_paths, top_neurons  # noqa: E402
from relex.queries.embedded import EmbeddedStore  # noqa: E402
from relex.queries.engines import ENGINES  # noqa: E402
from tests.queries.graphs import layered_graph  # noqa: E402

LAYERS = (
    ("input", "input", 3),
    ("conv1", "conv", 64),
    ("conv2", "conv", 128),
    ("fc1", "linear", 256),
    ("output", "linear", 10),
)
CLASSES = 10
WARM_UP = 100


def build(path: Path, engine: str) -> None:
    """A generated graph of one run at ``path``."""
    with EmbeddedStore(path, engine=engine) as store:
        store.create_schema()
        layered_graph(LAYERS, classes=CLASSES, top_k=8, seed=0, run="r", dataset="d").write(store)


def rss_mb() -> float:
    """This process's resident memory in MB."""
    pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
    return pages * 4096 / 2**20


def child(path: Path, engine: str, calls: int, cached: bool) -> dict[str, float]:
    """Run the queries in this process; RSS after the warm-up and at the end."""
    if not cached:
        EmbeddedStore._prepared = lambda self, cypher, params: cypher  # type: ignore[method-assign]
    with EmbeddedStore(path, engine=engine, read_only=True, buffer_pool_mb=512) as store:
        warm = 0.0
        for round_ in range(WARM_UP + calls):
            if round_ == WARM_UP:
                warm = rss_mb()
            class_id = f"d/{round_ % CLASSES}"
            critical_paths(store, run="r", class_id=class_id, k=3)
            top_neurons(store, run="r", class_id=class_id, k=10)
        return {"warm_mb": warm, "end_mb": rss_mb()}


def in_child(path: Path, engine: str, calls: int, cached: bool) -> dict[str, float]:
    arguments = ["--child", str(path), "--engine", engine, "--calls", str(calls)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.store_memory", *arguments, *(["--cached"] * cached)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--engine", choices=ENGINES, default="kuzu")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cached", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child is not None:
        print(json.dumps(child(options.child, options.engine, options.calls, options.cached)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "memory.kuzu"
        build(path, options.engine)
        growth = {}
        for cached in (True, False):
            report = in_child(path, options.engine, options.calls, cached)
            growth[cached] = report["end_mb"] - report["warm_mb"]
            name = "prepared once (the store)" if cached else "execute(text, params) (peer)"
            per_call = growth[cached] * 1024 / options.calls
            print(
                f"{name:<30} RSS {report['warm_mb']:7.1f} -> {report['end_mb']:7.1f} MB: "
                f"+{growth[cached]:6.1f} MB over {options.calls} rounds ({per_call:.1f} KB/round)"
            )
    ratio = growth[False] / max(growth[True], 0.1)
    print(f"growth without the cache / with it: {ratio:.0f}x (a floor of 0.1 MB for the cached)")


if __name__ == "__main__":
    main()

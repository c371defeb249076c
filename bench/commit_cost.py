"""What kuzu's COMMIT of a bulk load costs as the table it appends to grows.

    python -m bench.commit_cost                      # 13,400 rows into tables of 0.2M, 2M, 8M rows
    python -m bench.commit_cost --sizes 200000,2000000 --rows 13400 --json

Into a fresh database with one Kuzu thread, a node table with one INT64 column (a SERIAL key:
no hash index, no relationships) is filled to each size; then ``--rows`` rows are appended with
COPY in a transaction of their own, three times, and the median COMMIT seconds are reported,
beside the same append into a second, empty table of the same database (the peer). The
worker stores finished classes together (``ingest.pending``) because of this growth.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from queries.engines import load_engine  # noqa: E402

REPEATS = 3


def commit_seconds(connection: Any, table: str, rows: int) -> float:
    """Seconds of the COMMIT after COPYing ``rows`` rows into ``table``."""
    values = pa.table({"value": np.zeros(rows, dtype=np.int64)})
    connection.execute("BEGIN TRANSACTION")
    connection.execute(f"COPY {table}(value) FROM $rows", {"rows": values})
    started = time.perf_counter()
    connection.execute("COMMIT")
    return time.perf_counter() - started


def measure(sizes: list[int], rows: int, engine: str) -> list[dict[str, float]]:
    """For each table size, the median commit seconds into it and into the empty peer."""
    module = load_engine(engine)
    points = []
    with tempfile.TemporaryDirectory(prefix="relex-commit-") as folder:
        database = module.Database(str(Path(folder) / "db"))
        connection = module.Connection(database, num_threads=1)
        for table in ("Grown", "Peer"):
            connection.execute(
                f"CREATE NODE TABLE {table}(id SERIAL, value INT64, PRIMARY KEY(id))"
            )
        held = 0
        for size in sorted(sizes):
            if size > held:
                connection.execute(
                    "COPY Grown(value) FROM $rows",
                    {"rows": pa.table({"value": np.zeros(size - held, dtype=np.int64)})},
                )
            grown = statistics.median(
                commit_seconds(connection, "Grown", rows) for _ in range(REPEATS)
            )
            peer = statistics.median(
                commit_seconds(connection, "Peer", rows) for _ in range(REPEATS)
            )
            connection.execute("MATCH (p:Peer) DELETE p")
            held = size + REPEATS * rows
            points.append({"rows_held": size, "commit_s": grown, "empty_table_commit_s": peer})
        connection.close()
        database.close()
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes", default="200000,2000000,8000000", help="rows held, comma-separated"
    )
    parser.add_argument("--rows", type=int, default=13_400, help="rows appended per commit")
    parser.add_argument("--engine", default="kuzu", choices=("kuzu", "ladybug"))
    parser.add_argument("--json", action="store_true", help="print the points as JSON")
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    points = measure(sizes, args.rows, args.engine)
    if args.json:
        print(json.dumps(points))
        return
    print(f"{'rows held':>12}{'commit s':>10}{'empty table s':>15}{'ratio':>7}")
    for p in points:
        ratio = p["commit_s"] / p["empty_table_commit_s"]
        print(
            f"{p['rows_held']:>12,}{p['commit_s']:>10.3f}{p['empty_table_commit_s']:>15.3f}{ratio:>7.1f}"
        )


if __name__ == "__main__":
    main()

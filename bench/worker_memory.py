"""Peak memory of the ingest worker as the classes of a run grow: 10, 100, 1,000 classes.

    python -m bench.worker_memory                       # 10,100,1000 classes
    python -m bench.worker_memory --classes 10,100 --json

For each size, a folder of that many classes (one generated 28x28 grey image each) and a
randomly initialised smallcnn28 with that many outputs are written to a temporary folder; then
``relex ingest`` runs on them in a child process of its own, through the worker's whole path
(LRP, per-class sums, top-k, critical paths, the store's writes), into a fresh embedded store.
The store's page cache is capped at 1 GB (``RELEX_STORE_BUFFER_POOL_MB``; by default it may
grow to a quarter of the memory, up to 4 GB, as the store grows). The child's peak RSS
(``wait4``) is reported with its wall time and the FLOW edges it wrote.
The worker works class by class and keeps one class's flow sums at a time, so its peak RSS
should stay flat while the classes grow a hundredfold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relex.ingest.models import save_checkpoint, small_cnn  # noqa: E402
from relex.queries.embedded import EmbeddedStore  # noqa: E402

SIZE = 28
POOL_MB = 1024
"""The store's page cache (bounded anyway; fixed here so that the figure is the worker's own)."""


def dataset(folder: Path, classes: int, seed: int = 0) -> Path:
    """An image folder of ``classes`` classes, one random grey image each."""
    rng = np.random.default_rng(seed)
    for index in range(classes):
        target = folder / f"class{index:04d}"
        target.mkdir(parents=True)
        pixels = rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)
        Image.fromarray(pixels, mode="L").save(target / "0.png")
    return folder


def checkpoint(path: Path, classes: int) -> Path:
    """A smallcnn28 with ``classes`` outputs and random weights."""
    names = tuple(f"class{index:04d}" for index in range(classes))
    save_checkpoint(path, name="smallcnn28", module=small_cnn(1, SIZE, classes), class_names=names)
    return path


def point(base: Path, classes: int) -> dict[str, Any]:
    """Ingest one run of ``classes`` classes in a child; its peak RSS, seconds and FLOW edges."""
    with tempfile.TemporaryDirectory(prefix=f"relex-worker-{classes}-", dir=base) as tmp:
        folder = Path(tmp)
        images = dataset(folder / "images", classes)
        weights = checkpoint(folder / "model.pt", classes)
        store = folder / "store.kuzu"
        command = [sys.executable, "-m", "relex", "ingest", "--run", "memory"]
        command += ["--model", "smallcnn28", "--weights", str(weights), "--device", "cpu"]
        command += ["--dataset", f"imagefolder:{images}", "--store", str(store)]
        started = time.perf_counter()
        env = {**os.environ, "RELEX_STORE_BUFFER_POOL_MB": str(POOL_MB)}
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"relex ingest of {classes} classes failed ({status})")
        with EmbeddedStore(store, read_only=True) as written:
            flows = written.counts().relationships["FLOW"]
    return {"classes": classes, "peak_rss_mb": usage.ru_maxrss / 1024, "seconds": seconds,
            "flows": flows}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--classes", default="10,100,1000", help="comma-separated run sizes")
    parser.add_argument("--json", action="store_true", help="print {classes: peak RSS MB}")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    sizes = [int(part) for part in args.classes.split(",") if part.strip()]
    points = [point(args.dir, n) for n in sizes]
    if args.json:
        print(json.dumps({p["classes"]: p["peak_rss_mb"] for p in points}))
        return
    print(f"{'classes':>8}{'peak RSS MB':>13}{'seconds':>9}{'FLOW edges':>12}")
    for p in points:
        print(f"{p['classes']:>8}{p['peak_rss_mb']:>13.0f}{p['seconds']:>9.0f}{p['flows']:>12,}")


if __name__ == "__main__":
    main()

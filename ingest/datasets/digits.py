"""scikit-learn's 8x8 handwritten digits (1,797 images), when scikit-learn is installed."""

from __future__ import annotations

import numpy as np

from relex.ingest.datasets.arrays import ArrayDataset
from relex.ingest.datasets.mnist import MNIST_CLASSES
from relex.ingest.errors import RelexError


def open_digits() -> ArrayDataset:
    """The digits shipped inside scikit-learn, as 8x8 grey images scaled to 0-255."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise RelexError(
            "the digits dataset comes with scikit-learn, which is not installed "
            "(pip install scikit-learn)"
        ) from None
    bunch = load_digits()
    images = np.rint(np.asarray(bunch.images) * (255.0 / 16.0)).astype(np.uint8)
    return ArrayDataset(
        kind="digits",
        name="digits",
        spec="digits:",
        images=images,
        labels=np.asarray(bunch.target, dtype=np.int64),
        class_names=MNIST_CLASSES,
        id_prefix="digits-",
    )

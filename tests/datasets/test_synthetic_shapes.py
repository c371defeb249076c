"""Synthetic shapes: determinism, masks, variants, specs and the image-folder export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from relex.ingest.datasets import (
    SHAPE_CLASSES,
    open_dataset,
    render,
    synthetic_dataset,
    write_image_folder,
)
from relex.ingest.errors import RelexError
from relex.ingest.models import architecture


def test_same_seed_gives_identical_arrays() -> None:
    first = synthetic_dataset("shapes-a", n=18, seed=3)
    second = synthetic_dataset("shapes-a", n=18, seed=3)
    np.testing.assert_array_equal(first.images, second.images)
    assert first.masks is not None and second.masks is not None
    np.testing.assert_array_equal(first.masks, second.masks)
    np.testing.assert_array_equal(first.labels, second.labels)
    other = synthetic_dataset("shapes-a", n=18, seed=4)
    assert not np.array_equal(first.images, other.images)


def test_an_image_does_not_depend_on_how_many_are_drawn() -> None:
    few = synthetic_dataset("shapes-b", n=6, seed=1)
    many = synthetic_dataset("shapes-b", n=30, seed=1)
    np.testing.assert_array_equal(few.images, many.images[:6])
    assert few.sample(5).image_id == many.sample(5).image_id == "shapes-b-s1-00005"


@pytest.mark.parametrize("variant", ["shapes-a", "shapes-b"])
@pytest.mark.parametrize(("size", "grey"), [(64, False), (28, True)])
def test_mask_marks_exactly_the_object(variant: str, size: int, grey: bool) -> None:
    for index in range(24):
        drawn = render(variant, index, seed=2, size=size, grey=grey)
        changed = (drawn.image != drawn.background).any(axis=-1)
        assert drawn.mask.any()
        assert not (changed & ~drawn.mask).any(), "the object painted outside its mask"
        assert changed[drawn.mask].all(), "object pixels must differ from the background"
        difference = np.abs(drawn.image.astype(int) - drawn.background.astype(int)).max(axis=-1)
        assert difference[drawn.mask].mean() > 40
        border = np.concatenate(
            [drawn.mask[0], drawn.mask[-1], drawn.mask[:, 0], drawn.mask[:, -1]]
        )
        assert not border.any(), "the object must lie inside the image"


def test_dataset_masks_match_the_renderings() -> None:
    dataset = synthetic_dataset("shapes-a", n=6, seed=5, size=28, grey=True)
    assert dataset.images.shape == (6, 28, 28)
    for index in range(6):
        drawn = render("shapes-a", index, seed=5, size=28, grey=True)
        np.testing.assert_array_equal(dataset.images[index], drawn.image[..., 0])
        mask = dataset.sample(index).mask
        assert mask is not None
        np.testing.assert_array_equal(mask, drawn.mask)


def test_variants_share_classes_but_not_statistics() -> None:
    a = synthetic_dataset("shapes-a", n=60)
    b = synthetic_dataset("shapes-b", n=60)
    assert a.class_names == b.class_names == SHAPE_CLASSES
    assert list(SHAPE_CLASSES) == sorted(SHAPE_CLASSES)
    assert a.labels.tolist() == [index % 6 for index in range(60)]
    assert a.masks is not None and b.masks is not None
    assert a.masks.mean() > b.masks.mean(), "shapes-b draws smaller objects"
    roughness_a = np.abs(np.diff(a.images.astype(int), axis=2)).mean()
    roughness_b = np.abs(np.diff(b.images.astype(int), axis=2)).mean()
    assert roughness_b > 1.5 * roughness_a, "shapes-b has the busier background"


def test_spec_parameters() -> None:
    dataset = open_dataset("synthetic:shapes-b?n=12&seed=7&size=28&grey=1")
    assert (len(dataset), dataset.name, dataset.kind) == (12, "shapes-b-28-grey", "synthetic")
    assert dataset.spec == "synthetic:shapes-b?n=12&seed=7&size=28&grey=1"
    np.testing.assert_array_equal(
        np.asarray(open_dataset(dataset.spec).image(3)), np.asarray(dataset.image(3))
    )
    assert len(open_dataset("synthetic:shapes-a?n=5")) == 5
    with pytest.raises(RelexError, match="unknown synthetic dataset 'shapes-c'"):
        open_dataset("synthetic:shapes-c")
    with pytest.raises(RelexError, match="n must be an integer"):
        open_dataset("synthetic:shapes-a?n=many")
    with pytest.raises(RelexError, match="grey must be 1 or 0"):
        open_dataset("synthetic:shapes-a?grey=maybe")
    with pytest.raises(RelexError, match="n >= 1"):
        open_dataset("synthetic:shapes-a?n=0")
    with pytest.raises(RelexError, match="between 16 and 512"):
        open_dataset("synthetic:shapes-a?size=8")


def test_masks_follow_the_model_input_geometry() -> None:
    dataset = synthetic_dataset("shapes-a", n=3)
    mask = dataset.sample(2).mask
    assert mask is not None
    same = dataset.mask_tensor(2, architecture("smallcnn64").preprocessing)
    assert same is not None
    assert torch.equal(same, torch.tensor(mask))
    large = dataset.mask_tensor(2, architecture("vgg16").preprocessing)
    assert large is not None
    resized = mask.repeat(4, axis=0).repeat(4, axis=1)
    assert torch.equal(large, torch.tensor(resized[16:240, 16:240]))


def test_export_reads_back_as_an_image_folder_with_masks(tmp_path: Path) -> None:
    dataset = synthetic_dataset("shapes-a", n=12, seed=9)
    spec = write_image_folder(dataset, tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "shapes-a" / "disk" / "shapes-a-s9-00002.png").is_file()
    back = open_dataset(spec)
    assert back.class_names == SHAPE_CLASSES
    by_id = {back.sample(index).image_id: index for index in range(len(back))}
    for index in range(len(dataset)):
        sample = dataset.sample(index)
        other = by_id[f"{SHAPE_CLASSES[sample.label]}/{sample.image_id}.png"]
        assert back.labels[other] == sample.label
        np.testing.assert_array_equal(np.asarray(back.image(other)), dataset.images[index])
        mask = back.sample(other).mask
        assert mask is not None and sample.mask is not None
        np.testing.assert_array_equal(mask, sample.mask)
    with pytest.raises(RelexError, match="not an empty folder"):
        write_image_folder(dataset, tmp_path / "out", progress=False)

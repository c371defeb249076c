"""Dataset specs, the common interface, batching, ImageNet wnids and label mapping."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from relex.ingest.datasets import (
    BaseDataset,
    Dataset,
    absolute_spec,
    imagenet_class_names,
    imagenet_wnids,
    label_mapping,
    open_dataset,
    parse_spec,
    synthetic_dataset,
    wnid_index,
)
from relex.ingest.errors import RelexError
from relex.ingest.models import architecture


def test_absolute_spec_names_folders_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_spec("imagefolder:data/imagenette2?split=val&masks=m") == (
        f"imagefolder:{tmp_path}/data/imagenette2?split=val&masks={tmp_path}/m"
    )
    assert absolute_spec("mnist:./idx") == f"mnist:{tmp_path}/idx"
    assert absolute_spec("fashion-mnist:/data/f?split=test") == "fashion-mnist:/data/f?split=test"
    for unchanged in ("synthetic:shapes-a?n=60&seed=3", "digits:"):
        assert absolute_spec(unchanged) == unchanged


def test_parse_spec() -> None:
    parsed = parse_spec("imagefolder:/data/imagenette2?split=val&masks=/m")
    assert (parsed.kind, parsed.location) == ("imagefolder", "/data/imagenette2")
    assert dict(parsed.params) == {"split": "val", "masks": "/m"}
    assert parse_spec("digits:").kind == "digits"
    assert parse_spec("digits").kind == "digits"
    assert parse_spec("synthetic:shapes-a").params == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("/data/imagenette2", "should look like KIND:LOCATION"),
        ("cifar:/data", "should look like KIND:LOCATION"),
        ("mnist", "needs a location"),
        ("mnist:", "needs a folder"),
        ("synthetic:shapes-a?n", "should be key=value"),
        ("synthetic:shapes-a?split=val", "take no parameter 'split'"),
        ("digits:?n=3", r"take no parameter 'n' \(they take: none\)"),
    ],
)
def test_malformed_specs_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(RelexError, match=message):
        open_dataset(spec)


def test_datasets_implement_the_interface() -> None:
    dataset = open_dataset("synthetic:shapes-a?n=6")
    assert isinstance(dataset, Dataset)
    assert isinstance(dataset, BaseDataset)


def test_batches_select_start_limit_and_classes() -> None:
    dataset = synthetic_dataset("shapes-a", n=30, size=28, grey=True)
    preprocessing = architecture("smallcnn28").preprocessing
    batches = list(dataset.batches(preprocessing, batch_size=4, start=3, limit=9))
    assert [batch.indices for batch in batches] == [[3, 4, 5, 6], [7, 8, 9, 10], [11]]
    assert batches[0].inputs.shape == (4, 1, 28, 28)
    assert batches[0].labels.tolist() == [3, 4, 5, 0]
    chosen = list(dataset.batches(preprocessing, batch_size=10, start=4, classes={2, 5}))
    assert [batch.indices for batch in chosen] == [[5, 8, 11, 14, 17, 20, 23, 26, 29]]
    assert set(chosen[0].labels.tolist()) == {2, 5}
    assert list(dataset.batches(preprocessing, batch_size=2, start=30)) == []
    with pytest.raises(RelexError, match="batch size"):
        list(dataset.batches(preprocessing, batch_size=0))
    with pytest.raises(RelexError, match="must not be negative"):
        dataset.select(start=-1)


def test_out_of_range_index_is_a_clear_error() -> None:
    dataset = synthetic_dataset("shapes-a", n=4)
    with pytest.raises(RelexError, match="index 4 is out of range: shapes-a has 4 images"):
        dataset.sample(4)
    with pytest.raises(RelexError, match="out of range"):
        dataset.image(-1)


def test_samples_and_arrays_are_read_only() -> None:
    dataset = synthetic_dataset("shapes-a", n=2)
    mask = dataset.sample(0).mask
    assert mask is not None
    with pytest.raises(ValueError, match="read-only"):
        mask[0, 0] = True
    with pytest.raises(ValueError, match="read-only"):
        dataset.labels[0] = 3
    assert dataset.sample(0) == dataset.sample(0)


def test_imagenet_wnids_are_in_class_index_order() -> None:
    wnids = imagenet_wnids()
    assert len(wnids) == len(set(wnids)) == 1000
    assert list(wnids) == sorted(wnids)
    names = imagenet_class_names()
    index = wnid_index()
    expected = {
        "n01440764": (0, "tench"),
        "n02102040": (217, "English springer"),
        "n03888257": (701, "parachute"),
        "n03888605": (702, "parallel bars"),
        "n02086240": (155, "Shih-Tzu"),
        "n02115641": (273, "dingo"),
    }
    for wnid, (position, name) in expected.items():
        assert index[wnid] == position
        assert names[position] == name


def test_label_mapping_by_name() -> None:
    dataset = synthetic_dataset("shapes-a", n=12)
    assert label_mapping(dataset, dataset.class_names) == {label: label for label in range(6)}
    reordered = tuple(reversed(dataset.class_names))
    assert label_mapping(dataset, reordered) == {label: 5 - label for label in range(6)}
    with pytest.raises(RelexError, match="does not know the classes checker, cross"):
        label_mapping(dataset, ("disk", "square", "stripes", "triangle"))
    with pytest.raises(RelexError, match="and 1 more"):
        label_mapping(dataset, ("a",))


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="scikit-learn absent")
def test_digits_from_scikit_learn() -> None:
    dataset = open_dataset("digits:")
    assert len(dataset) == 1797
    assert dataset.class_names == tuple("0123456789")
    assert np.asarray(dataset.image(0)).shape == (8, 8)
    assert max(np.asarray(dataset.image(index)).max() for index in range(20)) == 255
    assert dataset.tensor(0, architecture("smallcnn28").preprocessing).shape == (1, 28, 28)


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is not None, reason="scikit-learn here")
def test_digits_without_scikit_learn_is_a_clear_error() -> None:
    with pytest.raises(RelexError, match="pip install scikit-learn"):
        open_dataset("digits:")

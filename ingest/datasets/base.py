"""The dataset interface every source implements: samples, model-ready tensors and batches."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from relex.ingest.errors import RelexError
from relex.ingest.images import UnreadableImageError
from relex.ingest.models import Preprocessing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    """One item: position, stable id, label, file (if any) and object mask (if any)."""

    index: int
    image_id: str
    label: int
    path: str | None = None
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)


class Batch(NamedTuple):
    """Readable items of one batch: dataset indices, model inputs ``(B, C, H, W)`` and labels."""

    indices: list[int]
    inputs: torch.Tensor
    labels: torch.Tensor


@runtime_checkable
class Dataset(Protocol):
    """What the trainer and the ingest worker need from a dataset."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def spec(self) -> str: ...

    @property
    def class_names(self) -> tuple[str, ...]: ...

    @property
    def wnids(self) -> tuple[str, ...] | None: ...

    @property
    def labels(self) -> np.ndarray: ...

    @property
    def present_classes(self) -> tuple[int, ...]: ...

    @property
    def skipped_ids(self) -> tuple[str, ...]: ...

    @property
    def skipped_count(self) -> int: ...

    def __len__(self) -> int: ...

    def sample(self, index: int) -> Sample: ...

    def image(self, index: int) -> Image.Image: ...

    def tensor(self, index: int, preprocessing: Preprocessing) -> torch.Tensor: ...

    def mask_tensor(self, index: int, preprocessing: Preprocessing) -> torch.Tensor | None: ...

    def batches(
        self,
        preprocessing: Preprocessing,
        batch_size: int,
        start: int = 0,
        limit: int | None = None,
        classes: Collection[int] | None = None,
        indices: Sequence[int] | None = None,
    ) -> Iterator[Batch]: ...


class BaseDataset(ABC):
    """Shared behaviour: index checks, class selection, batching and counting unreadable images."""

    kind: str = ""

    def __init__(
        self,
        *,
        name: str,
        spec: str,
        class_names: tuple[str, ...],
        labels: np.ndarray,
        wnids: tuple[str, ...] | None = None,
    ) -> None:
        self._name = name
        self._spec = spec
        self._class_names = class_names
        self._labels = np.asarray(labels, dtype=np.int64)
        self._labels.setflags(write=False)
        self._wnids = wnids
        self._skipped: dict[int, str] = {}

    @property
    def name(self) -> str:
        """A short human-readable name (``shapes-a``, ``imagenette2-val``, ``mnist-test``)."""
        return self._name

    @property
    def spec(self) -> str:
        """The canonical ``KIND:LOCATION?params`` string that reopens this dataset."""
        return self._spec

    @property
    def class_names(self) -> tuple[str, ...]:
        """Names of the label space: ``class_names[label]`` names every label."""
        return self._class_names

    @property
    def wnids(self) -> tuple[str, ...] | None:
        """ImageNet wnids of the label space when the classes are ImageNet classes."""
        return self._wnids

    @property
    def labels(self) -> np.ndarray:
        """The label of every item, read-only ``int64`` array of length ``len(self)``."""
        return self._labels

    @property
    def present_classes(self) -> tuple[int, ...]:
        """The labels that occur in the dataset, ascending."""
        return tuple(int(label) for label in np.unique(self._labels))

    @property
    def skipped_ids(self) -> tuple[str, ...]:
        """Ids of the distinct unreadable images skipped so far, in index order."""
        return tuple(self._skipped[index] for index in sorted(self._skipped))

    @property
    def skipped_count(self) -> int:
        """How many distinct unreadable images were skipped so far."""
        return len(self._skipped)

    def __len__(self) -> int:
        return len(self._labels)

    @abstractmethod
    def sample(self, index: int) -> Sample:
        """Item ``index`` without decoding its image."""

    @abstractmethod
    def image(self, index: int) -> Image.Image:
        """The image of item ``index``; :class:`UnreadableImageError` if it cannot be decoded
        (:meth:`batches` skips and counts those)."""

    def tensor(self, index: int, preprocessing: Preprocessing) -> torch.Tensor:
        """The model-ready input ``(C, H, W)`` of item ``index`` (channels converted as needed)."""
        return preprocessing(self.image(index))

    def mask_tensor(self, index: int, preprocessing: Preprocessing) -> torch.Tensor | None:
        """The object mask of item ``index`` in model-input geometry ``(H, W)`` bool, if any."""
        mask = self.sample(index).mask
        return None if mask is None else preprocess_mask(mask, preprocessing)

    def select(
        self, *, start: int = 0, limit: int | None = None, classes: Collection[int] | None = None
    ) -> list[int]:
        """Indices from ``start`` on, with a label in ``classes`` if given, at most ``limit``."""
        if start < 0 or (limit is not None and limit < 0):
            raise RelexError(f"start ({start}) and limit ({limit}) must not be negative")
        indices = np.arange(start, len(self))
        if classes is not None:
            wanted = np.fromiter(classes, dtype=np.int64)
            indices = indices[np.isin(self._labels[start:], wanted)]
        return [int(index) for index in indices[:limit]]

    def batches(
        self,
        preprocessing: Preprocessing,
        batch_size: int,
        start: int = 0,
        limit: int | None = None,
        classes: Collection[int] | None = None,
        indices: Sequence[int] | None = None,
    ) -> Iterator[Batch]:
        """Batches of the items :meth:`select` picks (or of ``indices``, in that order);
        unreadable images are logged and skipped.

        ``limit`` counts selected items, skipped ones included, so a resumed run can start at
        the index after the last one it saw. Batches are filled past skipped images.
        """
        if batch_size < 1:
            raise RelexError(f"batch size must be at least 1, not {batch_size}")
        chosen = (
            self.select(start=start, limit=limit, classes=classes)
            if indices is None
            else [self._check_index(index) for index in indices]
        )
        kept: list[int] = []
        inputs: list[torch.Tensor] = []
        for index in chosen:
            try:
                inputs.append(self.tensor(index, preprocessing))
            except UnreadableImageError as error:
                self._skip(index, error)
                continue
            kept.append(index)
            if len(kept) == batch_size:
                yield self._batch(kept, inputs)
                kept, inputs = [], []
        if kept:
            yield self._batch(kept, inputs)

    def _batch(self, indices: list[int], inputs: list[torch.Tensor]) -> Batch:
        labels = torch.from_numpy(self._labels[indices].copy())
        return Batch(indices, torch.stack(inputs), labels)

    def _skip(self, index: int, error: UnreadableImageError) -> None:
        log.warning("skipping unreadable image in %s: %s", self._name, error)
        self._skipped[index] = self.sample(index).image_id

    def _check_index(self, index: int) -> int:
        if not 0 <= index < len(self):
            raise RelexError(f"index {index} is out of range: {self._name} has {len(self)} images")
        return index


def preprocess_mask(mask: np.ndarray, preprocessing: Preprocessing) -> torch.Tensor:
    """Resize and crop a ``(H, W)`` mask exactly as ``preprocessing`` does its image (nearest)."""
    pixels = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.uint8)).unsqueeze(0)
    resized = TF.resize(pixels, [preprocessing.size], interpolation=TF.InterpolationMode.NEAREST)
    if preprocessing.size != preprocessing.crop or resized.shape[-1] != resized.shape[-2]:
        resized = TF.center_crop(resized, [preprocessing.crop])
    return resized[0] > 0

"""Datasets held in memory as uint8 arrays: MNIST-format files, synthetic shapes, digits."""

from __future__ import annotations

import numpy as np
from PIL import Image

from relex.ingest.datasets.base import BaseDataset, Sample


class ArrayDataset(BaseDataset):
    """Images ``(N, H, W)`` grey or ``(N, H, W, 3)`` colour uint8, labels, optional masks."""

    def __init__(
        self,
        *,
        kind: str,
        name: str,
        spec: str,
        images: np.ndarray,
        labels: np.ndarray,
        class_names: tuple[str, ...],
        id_prefix: str,
        masks: np.ndarray | None = None,
    ) -> None:
        if images.dtype != np.uint8 or images.ndim not in (3, 4):
            raise ValueError(
                f"images must be uint8 (N, H, W[, 3]), not {images.dtype} {images.shape}"
            )
        if images.ndim == 4 and images.shape[-1] != 3:
            raise ValueError(f"colour images need 3 channels last, not {images.shape}")
        if len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        if masks is not None and masks.shape != images.shape[:3]:
            raise ValueError(f"masks {masks.shape} do not match images {images.shape}")
        super().__init__(name=name, spec=spec, class_names=class_names, labels=labels)
        self.kind = kind
        self._images = _read_only(images)
        self._masks = None if masks is None else _read_only(masks.astype(bool))
        self._id_prefix = id_prefix

    @property
    def images(self) -> np.ndarray:
        """All images, read-only."""
        return self._images

    @property
    def masks(self) -> np.ndarray | None:
        """All object masks ``(N, H, W)`` bool, read-only, if the dataset has them."""
        return self._masks

    def sample(self, index: int) -> Sample:
        index = self._check_index(index)
        return Sample(
            index=index,
            image_id=f"{self._id_prefix}{index:05d}",
            label=int(self.labels[index]),
            mask=None if self._masks is None else self._masks[index],
        )

    def image(self, index: int) -> Image.Image:
        return Image.fromarray(self._images[self._check_index(index)])


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.array(array, order="C")
    array.setflags(write=False)
    return array

"""The images an evaluation runs on: model inputs, labels and (where the dataset has them) masks."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from relex.ingest.datasets import open_dataset
from relex.ingest.errors import RelexError
from relex.ingest.models import Preprocessing


@dataclass(frozen=True)
class EvaluationData:
    """``inputs`` (n, C, H, W) in model space, ``labels`` (n,), ``masks`` (n, H, W) bool or None."""

    dataset: str
    inputs: Tensor
    labels: Tensor
    masks: Tensor | None

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, count: int) -> EvaluationData:
        """The first ``count`` images."""
        masks = None if self.masks is None else self.masks[:count]
        return EvaluationData(self.dataset, self.inputs[:count], self.labels[:count], masks)


def load_evaluation_data(
    spec: str, preprocessing: Preprocessing, *, limit: int, start: int = 0
) -> EvaluationData:
    """Up to ``limit`` readable images of dataset ``spec`` from index ``start`` on, with their
    ground-truth masks when every one of them has a mask."""
    if limit < 1:
        raise RelexError(f"the evaluation needs at least one image, not {limit}")
    dataset = open_dataset(spec)
    inputs: list[Tensor] = []
    labels: list[Tensor] = []
    indices: list[int] = []
    for batch in dataset.batches(preprocessing, batch_size=64, start=start, limit=limit):
        inputs.append(batch.inputs)
        labels.append(batch.labels)
        indices += batch.indices
    if not indices:
        raise RelexError(f"{dataset.name} has no readable images from index {start} on")
    masks = [dataset.mask_tensor(index, preprocessing) for index in indices]
    present = [mask for mask in masks if mask is not None]
    stacked = torch.stack(present) if len(present) == len(masks) else None
    return EvaluationData(dataset.spec, torch.cat(inputs), torch.cat(labels), stacked)

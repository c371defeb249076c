"""The 1,000 ImageNet classes: wnids in class-index order (shipped) and names (from torchvision)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import torchvision

WNID_PATTERN = re.compile(r"n\d{8}")


@cache
def imagenet_wnids() -> tuple[str, ...]:
    """The wnids of ImageNet-1k's classes; position = class index (sorted wnids)."""
    text = (
        resources.files("relex.ingest.datasets").joinpath("imagenet_wnids.txt").read_text("ascii")
    )
    wnids = tuple(text.split())
    if len(wnids) != 1000 or list(wnids) != sorted(wnids):
        raise RuntimeError("imagenet_wnids.txt is damaged: expected 1,000 sorted wnids")
    return wnids


@cache
def imagenet_class_names() -> tuple[str, ...]:
    """The class names torchvision's ImageNet weights use, in class-index order."""
    return tuple(torchvision.models.VGG16_Weights.IMAGENET1K_V1.meta["categories"])


@cache
def wnid_index() -> dict[str, int]:
    """Class index of every ImageNet-1k wnid."""
    return {wnid: index for index, wnid in enumerate(imagenet_wnids())}

"""Fixtures that write tiny datasets in their on-disk formats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_image(path: Path, *, seed: int = 0, size: tuple[int, int] = (40, 30)) -> Path:
    """A small random colour image, in the format its suffix names."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def write_folder(root: Path, layout: dict[str, int], *, suffix: str = ".JPEG") -> Path:
    """``root/<class>/img<i><suffix>`` for each class and image count in ``layout``."""
    for number, (name, count) in enumerate(layout.items()):
        for index in range(count):
            write_image(root / name / f"img{index}{suffix}", seed=100 * number + index)
    return root


@pytest.fixture
def image_writer() -> Callable[..., Path]:
    return write_image


@pytest.fixture
def folder_writer() -> Callable[..., Path]:
    return write_folder

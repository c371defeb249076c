"""Image folders in the Imagenette/Imagewoof layout: ``ROOT[/SPLIT]/<class>/<image>``.

Class folders named by ImageNet-1k wnids (all of them) get the ImageNet class index as label and
the 1,000 ImageNet names as label space, so Imagenette and Imagewoof share VGG16's classes. Any
other folder names are plain classes numbered in sorted order. An empty class folder is an
error (it would silently renumber the classes after it); unreadable images (corrupt, or over
the pixel limit of :mod:`ingest.images`) are skipped and counted while batching. Optional
masks live in a second folder with the same ``<class>/<stem>.png`` layout.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image

from relex.ingest.datasets.base import BaseDataset, Sample
from relex.ingest.datasets.imagenet import (
    WNID_PATTERN,
    imagenet_class_names,
    imagenet_wnids,
    wnid_index,
)
from relex.ingest.errors import RelexError
from relex.ingest.images import decode_image

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".jpeg", ".jpg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
)
SPLIT_NAMES = ("train", "val", "test")


class ImageFolderDataset(BaseDataset):
    """Image files grouped in one folder per class; images are decoded on demand."""

    kind = "imagefolder"

    def __init__(self, root: Path, *, split: str | None = None, masks: Path | None = None) -> None:
        folder = resolve_split(root.absolute(), split)
        classes = _class_folders(folder)
        files = {name: _image_files(folder / name) for name in classes}
        empty = [name for name, found in files.items() if not found]
        if empty:
            raise RelexError(
                f"class folder(s) {', '.join(empty)} in {folder} hold no images; "
                "remove them or add images (the class numbering depends on them)"
            )
        if masks is not None and not masks.is_dir():
            raise RelexError(f"mask folder {masks} does not exist")
        masks = None if masks is None else masks.absolute()
        class_names, wnids, label_of = _label_space(classes)
        self._folder = folder
        self._masks = masks
        self._paths = [path for name in classes for path in files[name]]
        labels = np.array([label_of[name] for name in classes for _ in files[name]])
        split_name = folder.name if folder.name in SPLIT_NAMES else None
        spec = f"imagefolder:{folder}" + (f"?masks={masks}" if masks is not None else "")
        name = f"{folder.parent.name}-{split_name}" if split_name else folder.name
        super().__init__(name=name, spec=spec, class_names=class_names, labels=labels, wnids=wnids)
        self._id_prefix = f"{split_name}/" if split_name else ""
        log.info("%s: %d images in %d classes", folder, len(self._paths), len(classes))

    @property
    def folder(self) -> Path:
        """The folder holding the class folders (the split folder when there is one)."""
        return self._folder

    def sample(self, index: int) -> Sample:
        path = self._paths[self._check_index(index)]
        relative = path.relative_to(self._folder)
        return Sample(
            index=index,
            image_id=self._id_prefix + relative.as_posix(),
            label=int(self.labels[index]),
            path=str(path),
            mask=self._mask(relative),
        )

    def image(self, index: int) -> Image.Image:
        return read_image(self._paths[self._check_index(index)])

    def _mask(self, relative: Path) -> np.ndarray | None:
        if self._masks is None:
            return None
        path = self._masks / relative.with_suffix(".png")
        if not path.is_file():
            return None
        return np.asarray(read_image(path).convert("L")) > 127


def read_image(path: Path) -> Image.Image:
    """Decode an image file fully (:func:`ingest.images.decode_image`: size-checked first, 8-bit
    values); :class:`UnreadableImageError` if corrupt, missing or too large."""
    return decode_image(path)


def resolve_split(root: Path, split: str | None) -> Path:
    """The folder holding the class folders: ``root``, or ``root/split`` for a split layout."""
    if not root.exists():
        raise RelexError(f"image folder {root} does not exist")
    if not root.is_dir():
        raise RelexError(f"{root} is not a folder (expected ROOT/<class>/<image> files)")
    splits = [path.name for path in _subfolders(root) if path.name in SPLIT_NAMES]
    split_layout = bool(splits) and len(splits) == len(_subfolders(root))
    if split is not None:
        if (root / split).is_dir() and split_layout:
            return root / split
        if root.name == split and not split_layout:
            return root
        found = f"; it has splits {', '.join(splits)}" if split_layout else ""
        raise RelexError(f"image folder {root} has no split {split!r}{found}")
    if split_layout and len(splits) > 1:
        raise RelexError(
            f"image folder {root} has splits {', '.join(splits)}: choose one, "
            f"e.g. imagefolder:{root}?split={splits[-1]}"
        )
    return root / splits[0] if split_layout else root


def _subfolders(folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.iterdir() if path.is_dir() and not path.name.startswith(".")
    )


def _class_folders(folder: Path) -> list[str]:
    classes = [path.name for path in _subfolders(folder)]
    if not classes:
        raise RelexError(f"image folder {folder} has no class folders (expected <class>/<image>)")
    return classes


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.is_file()
    )


def _label_space(
    classes: list[str],
) -> tuple[tuple[str, ...], tuple[str, ...] | None, dict[str, int]]:
    """Class names, wnids and the label of each class folder."""
    index = wnid_index()
    if all(name in index for name in classes):
        return imagenet_class_names(), imagenet_wnids(), {name: index[name] for name in classes}
    wnid_like = [name for name in classes if WNID_PATTERN.fullmatch(name)]
    if wnid_like:
        log.warning(
            "%d of %d class folders look like wnids but not all are ImageNet-1k classes; "
            "numbering the folders 0..%d in sorted order instead",
            len(wnid_like),
            len(classes),
            len(classes) - 1,
        )
    return tuple(classes), None, {name: label for label, name in enumerate(classes)}

"""Write a dataset to disk as a browsable image folder, with its masks as PNGs."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from relex.ingest.datasets.base import BaseDataset, UnreadableImageError
from relex.ingest.errors import RelexError

log = logging.getLogger(__name__)


def write_image_folder(dataset: BaseDataset, out: Path, *, progress: bool = True) -> str:
    """Write ``out/<name>/<class>/<id>.png``, and ``out/<name>-masks/...`` for the masks.

    Class folders are named by wnid when the dataset has wnids, else by class name, so they read
    back with the same labels when the names sort in label order (true for the synthetic shapes
    and MNIST digits). Returns the dataset spec that opens the written folder.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RelexError(f"{out} already exists and is not an empty folder")
    folders = _class_folders(dataset)
    present = [folders[label] for label in dataset.present_classes]
    if present != sorted(present):
        log.warning("class folders of %s do not sort in label order: labels change", dataset.name)
    images, masks = out / dataset.name, out / f"{dataset.name}-masks"
    has_masks = False
    written = 0
    for index in tqdm(range(len(dataset)), desc=f"writing {dataset.name}", disable=not progress):
        sample = dataset.sample(index)
        relative = Path(folders[sample.label]) / (_file_stem(sample.image_id) + ".png")
        try:
            image = dataset.image(index)
        except UnreadableImageError as error:
            log.warning("not writing unreadable image: %s", error)
            continue
        (images / relative).parent.mkdir(parents=True, exist_ok=True)
        image.save(images / relative)
        written += 1
        if sample.mask is not None:
            has_masks = True
            (masks / relative).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(sample.mask.astype(np.uint8) * 255).save(masks / relative)
    log.info("wrote %d images of %s to %s", written, dataset.name, out)
    return f"imagefolder:{images.absolute()}" + (f"?masks={masks.absolute()}" if has_masks else "")


def _class_folders(dataset: BaseDataset) -> list[str]:
    names = dataset.wnids or dataset.class_names
    return [name.replace("/", "_").replace("\\", "_").strip() or "_" for name in names]


def _file_stem(image_id: str) -> str:
    stem = image_id.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0] if "." in stem else stem

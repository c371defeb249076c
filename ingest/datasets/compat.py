"""Whether a dataset's labels can be read as a model's classes."""

from __future__ import annotations

from relex.ingest.datasets.base import Dataset
from relex.ingest.errors import RelexError


def label_mapping(dataset: Dataset, model_classes: tuple[str, ...]) -> dict[int, int]:
    """Model output index of every label present in ``dataset``, matched by class name.

    Identity when the label spaces agree (ImageNet folders and VGG16, synthetic shapes and the
    small CNN trained on them); by name otherwise (a small CNN trained on Imagenette). Raises
    :class:`RelexError` naming the classes the model does not know.
    """
    position = {name: index for index, name in enumerate(model_classes)}
    mapping: dict[int, int] = {}
    unknown: list[str] = []
    for label in dataset.present_classes:
        name = dataset.class_names[label]
        if name in position:
            mapping[label] = position[name]
        else:
            unknown.append(name)
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise RelexError(
            f"the model does not know the classes {shown} of {dataset.name} (it knows "
            f"{len(model_classes)} classes, e.g. {', '.join(model_classes[:3])}); use a model "
            "trained on this dataset, or aggregate by predicted class"
        )
    return mapping

"""Deterministic ids: the same model, layer, neuron, class or image always gets the same id.

Because ids are derived from names and indices (never counters or uuids), writing a batch again
rewrites the same rows instead of duplicating them. Names may not contain "/", the separator.
"""

from dataclasses import dataclass

from relex.queries.errors import InvalidRowError

SEP = "/"


@dataclass(frozen=True, slots=True)
class NeuronParts:
    """A neuron id taken apart (:func:`parse_neuron_id`)."""

    model: str
    layer: str
    index: int

    @property
    def local(self) -> str:
        """The id without its model: "<layer>/<index>" (unique within one model)."""
        return f"{self.layer}{SEP}{self.index}"


def _part(what: str, value: str) -> str:
    if not value:
        raise InvalidRowError(f"{what} must not be empty")
    if SEP in value:
        raise InvalidRowError(f"{what} {value!r} must not contain {SEP!r}")
    return value


def model_id(model: str) -> str:
    """Id of a Model node: its name, e.g. "vgg16"."""
    return _part("model name", model)


def layer_id(model: str, layer: str) -> str:
    """Id of a Layer node: "<model>/<layer>", e.g. "vgg16/features.0"."""
    return f"{_part('model name', model)}{SEP}{_part('layer name', layer)}"


NEURON_ID_PATTERN = "^[^/]+/[^/]+/[0-9]+$"
"""What :func:`neuron_id` builds, as a regular expression (for checks over whole columns)."""


def neuron_id(model: str, layer: str, index: int) -> str:
    """Id of a Neuron node: "<model>/<layer>/<index>" (a channel, unit or logit index)."""
    if index < 0:
        raise InvalidRowError(f"neuron index {index} of {model}/{layer} must be >= 0")
    return f"{layer_id(model, layer)}{SEP}{index}"


def parse_neuron_id(neuron: str) -> NeuronParts:
    """The parts of a neuron id, the inverse of :func:`neuron_id`; InvalidRowError if ``neuron``
    is not "<model>/<layer>/<index>"."""
    parts = neuron.split(SEP)
    if len(parts) != 3 or not all(parts) or not parts[2].isdigit():
        raise InvalidRowError(f"{neuron!r} is not a neuron id (model/layer/index)")
    return NeuronParts(parts[0], parts[1], int(parts[2]))


def dataset_id(dataset: str) -> str:
    """Id of a Dataset node: its name, e.g. "imagenette"."""
    return _part("dataset name", dataset)


def class_id(dataset: str, index: int) -> str:
    """Id of a Class node, scoped to its dataset: "<dataset>/<class index>"."""
    if index < 0:
        raise InvalidRowError(f"class index {index} of dataset {dataset} must be >= 0")
    return f"{dataset_id(dataset)}{SEP}{index}"


def image_id(dataset: str, path: str) -> str:
    """Id of an Image node: "<dataset>/<path relative to the dataset root>"."""
    if not path:
        raise InvalidRowError(f"image path in dataset {dataset} must not be empty")
    return f"{dataset_id(dataset)}{SEP}{path}"


def class_neuron_id(run: str, class_id: str, neuron: str) -> str:
    """Id of a ClassNeuron node, one neuron as one class of one run sees it:
    "<run>/<class id>/<neuron id>", e.g. "nette/imagenette/3/vgg16/features.28/17"."""
    return SEP.join((run, class_id, neuron))


def critical_path_id(run: str, class_id: str, sign: str, rank: int) -> str:
    """Id of a CriticalPath node: "<run>/<class id>/<sign>/<rank>"."""
    if rank < 1:
        raise InvalidRowError(f"critical path rank {rank} must be >= 1")
    return SEP.join((run, class_id, sign, str(rank)))

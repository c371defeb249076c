"""Dataset specs: ``KIND:LOCATION[?key=value&key=value]``.

==================  ==========================================  ===========================
kind                location                                    parameters
==================  ==========================================  ===========================
``imagefolder``     folder ``ROOT/<class>/<image>`` or a root   ``split``, ``masks=FOLDER``
                    with ``train/``, ``val/`` (``test/``)
``mnist``           folder of ``train-*``/``t10k-*`` IDX files  ``split`` (train, test)
``fashion-mnist``   same, Fashion-MNIST's classes                ``split`` (train, test)
``synthetic``       ``shapes-a`` or ``shapes-b``                ``n`` (1200), ``seed`` (0),
                                                                ``size`` (64), ``grey`` (0)
``digits``          empty (scikit-learn's 8x8 digits)           none
==================  ==========================================  ===========================

Examples: ``imagefolder:/data/imagenette2?split=val``, ``mnist:~/mnist?split=test``,
``synthetic:shapes-b?n=600&seed=1``, ``synthetic:shapes-a?size=28&grey=1`` (for smallcnn28),
``digits:``. A folder with several splits needs ``split`` (or the ``split`` argument of
:func:`open_dataset`); with one split it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from relex.ingest.datasets.base import BaseDataset
from relex.ingest.datasets.digits import open_digits
from relex.ingest.datasets.imagefolder import ImageFolderDataset
from relex.ingest.datasets.mnist import open_mnist
from relex.ingest.datasets.synthetic import synthetic_dataset
from relex.ingest.errors import RelexError

PARAMETERS: dict[str, frozenset[str]] = {
    "imagefolder": frozenset({"split", "masks"}),
    "mnist": frozenset({"split"}),
    "fashion-mnist": frozenset({"split"}),
    "synthetic": frozenset({"n", "seed", "size", "grey"}),
    "digits": frozenset(),
}
FOLDER_KINDS = frozenset({"imagefolder", "mnist", "fashion-mnist"})
"""Kinds whose location is a folder on disk."""
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class DatasetSpec:
    """A parsed ``KIND:LOCATION?params`` string."""

    kind: str
    location: str
    params: Mapping[str, str] = field(default_factory=dict)


def parse_spec(text: str) -> DatasetSpec:
    """Split a spec into kind, location and parameters; RelexError if it is malformed."""
    kind, colon, rest = text.strip().partition(":")
    if kind not in PARAMETERS:
        raise RelexError(
            f"dataset {text!r} should look like KIND:LOCATION with KIND one of "
            f"{', '.join(PARAMETERS)} (e.g. synthetic:shapes-a, imagefolder:PATH)"
        )
    if not colon and kind != "digits":
        raise RelexError(f"dataset {text!r} needs a location: {kind}:LOCATION")
    location, _, query = rest.partition("?")
    params: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise RelexError(f"dataset parameter {item!r} in {text!r} should be key=value")
        if key not in PARAMETERS[kind]:
            allowed = ", ".join(sorted(PARAMETERS[kind])) or "none"
            raise RelexError(f"{kind} datasets take no parameter {key!r} (they take: {allowed})")
        params[key] = value
    return DatasetSpec(kind=kind, location=location, params=params)


def absolute_spec(spec: str) -> str:
    """``spec`` with its folder (and ``masks`` folder) absolute, so that it names the same data
    from any working directory; specs without a folder come back unchanged."""
    parsed = parse_spec(spec)
    if parsed.kind not in FOLDER_KINDS or not parsed.location:
        return spec
    params = [
        f"{key}={_absolute(value) if key == 'masks' else value}"
        for key, value in parsed.params.items()
    ]
    query = f"?{'&'.join(params)}" if params else ""
    return f"{parsed.kind}:{_absolute(parsed.location)}{query}"


def _absolute(location: str) -> str:
    return str(Path(location).expanduser().resolve())


def open_dataset(spec: str, *, split: str | None = None) -> BaseDataset:
    """Open the dataset ``spec`` names; ``split`` overrides a ``split`` parameter in it."""
    parsed = parse_spec(spec)
    params = dict(parsed.params)
    if split is not None:
        params["split"] = split
    if parsed.kind == "synthetic":
        return synthetic_dataset(
            parsed.location,
            n=_integer(params, "n", 1200),
            seed=_integer(params, "seed", 0),
            size=_integer(params, "size", 64),
            grey=_boolean(params, "grey"),
        )
    if parsed.kind == "digits":
        return open_digits()
    if not parsed.location:
        raise RelexError(f"dataset {spec!r} needs a folder: {parsed.kind}:PATH")
    folder = Path(parsed.location).expanduser()
    if parsed.kind == "imagefolder":
        masks = Path(params["masks"]).expanduser() if "masks" in params else None
        return ImageFolderDataset(folder, split=params.get("split"), masks=masks)
    return open_mnist(folder, variant=parsed.kind, split=params.get("split"))


def _integer(params: Mapping[str, str], key: str, default: int) -> int:
    if key not in params:
        return default
    try:
        return int(params[key])
    except ValueError:
        raise RelexError(
            f"dataset parameter {key} must be an integer, not {params[key]!r}"
        ) from None


def _boolean(params: Mapping[str, str], key: str) -> bool:
    value = params.get(key, "0").lower()
    if value not in _TRUE | _FALSE:
        raise RelexError(f"dataset parameter {key} must be 1 or 0, not {params[key]!r}")
    return value in _TRUE

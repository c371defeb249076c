"""The folders the server may read data from (``RELEX_DATA_ROOTS``; by default the data folder
and the working directory), and the checks that keep jobs and images inside them.

A path outside the roots and a path that does not exist get the same answer, so that no request
can learn what exists elsewhere on the machine. Paths are resolved (symbolic links followed)
before they are compared, so a link inside a root that points outside it is outside.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from relex.api.settings import Settings
from relex.ingest.datasets.spec import FOLDER_KINDS, parse_spec
from relex.ingest.errors import RelexError
from relex.ingest.worker import IngestOptions

MAX_SYNTHETIC_IMAGES = 10_000
"""The most images a job's synthetic dataset may hold (``n=``)."""
MAX_SYNTHETIC_SIZE = 512
"""The largest side, in pixels, of a job's synthetic images (``size=``)."""
NAMED_WEIGHTS = frozenset({"imagenet", "none"})


class OutsideRootsError(RelexError):
    """A run's dataset lies outside the data roots, so its images are not served (403)."""


def data_roots(settings: Settings) -> tuple[Path, ...]:
    """The configured roots, resolved: ``RELEX_DATA_ROOTS`` (``os.pathsep``-separated), else the
    data folder and the working directory."""
    if settings.data_roots:
        chosen = [Path(item).expanduser() for item in settings.data_roots.split(os.pathsep) if item]
    else:
        chosen = [settings.data_dir, Path.cwd()]
    return tuple(dict.fromkeys(path.resolve() for path in chosen))


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path`` (resolved) lies in one of ``roots``."""
    resolved = path.expanduser().resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def _folder(location: str, roots: Sequence[Path], what: str) -> None:
    path = Path(location)
    if not (inside(path, roots) and path.expanduser().resolve().is_dir()):
        raise RelexError(f"{what} {location!r} is not a folder under the data roots")


def check_dataset(spec: str, roots: Sequence[Path]) -> None:
    """RelexError unless every folder ``spec`` names is a folder under ``roots`` and a synthetic
    dataset stays within MAX_SYNTHETIC_IMAGES images of at most MAX_SYNTHETIC_SIZE pixels."""
    parsed = parse_spec(spec)
    if parsed.kind == "synthetic":
        _at_most(parsed.params, "n", MAX_SYNTHETIC_IMAGES)
        _at_most(parsed.params, "size", MAX_SYNTHETIC_SIZE)
    if parsed.kind in FOLDER_KINDS:
        _folder(parsed.location, roots, "dataset folder")
    if "masks" in parsed.params:
        _folder(parsed.params["masks"], roots, "masks folder")


def _at_most(params: Mapping[str, str], key: str, limit: int) -> None:
    value = params.get(key)
    if value is None:
        return
    if not value.strip().isdigit():
        raise RelexError(f"dataset parameter {key} must be a positive integer, not {value!r}")
    if int(value) > limit:
        raise RelexError(f"dataset parameter {key}={value} is over this server's limit of {limit}")


def check_job(options: IngestOptions, roots: Sequence[Path]) -> None:
    """RelexError unless the job's dataset and weights file lie under ``roots`` (see
    :func:`check_dataset`); ``imagenet`` and ``none`` weights are names, not files."""
    check_dataset(options.dataset, roots)
    if options.weights not in NAMED_WEIGHTS:
        path = Path(options.weights)
        if not (inside(path, roots) and path.expanduser().resolve().is_file()):
            raise RelexError(
                f"weights file {options.weights!r} is not a file under the data roots "
                "(or use 'imagenet' or 'none')"
            )


def check_served(spec: str, roots: Sequence[Path]) -> None:
    """OutsideRootsError if dataset ``spec`` names a folder outside ``roots``: the server does
    not read images from there."""
    parsed = parse_spec(spec)
    if parsed.kind in FOLDER_KINDS and not inside(Path(parsed.location), roots):
        raise OutsideRootsError(
            f"dataset {spec!r} lies outside the data roots, so this server does not read its "
            "images: add its folder to RELEX_DATA_ROOTS"
        )

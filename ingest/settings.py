"""The ingest layer's settings: which device runs the LRP passes, and the data folder.

=====================  =============  ===========================================
variable               field          default
=====================  =============  ===========================================
``RELEX_DEVICE``       ``device``     ``auto`` (CUDA when present)
``RELEX_DATA_DIR``     ``data_dir``   ``relex-data`` (job state, caches, demo)
=====================  =============  ===========================================

Read as every layer's settings are (see :mod:`queries.settings`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from relex.queries.settings import EnvSettings

DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def known_device(value: str) -> str:
    """``value`` if it names a device (``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``)."""
    if not DEVICE_PATTERN.fullmatch(value):
        raise ValueError(f"unknown device {value!r} (use auto, cpu, cuda, cuda:N or mps)")
    return value


class IngestSettings(EnvSettings):
    """The device and the data folder (module doc)."""

    device: Annotated[str, AfterValidator(known_device)] = Field(
        default="auto", validation_alias="RELEX_DEVICE"
    )
    data_dir: Path = Field(default=Path("relex-data"), validation_alias="RELEX_DATA_DIR")

"""What the LRP benchmarks share: a seeded VGG-style model on the device, and a timer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch

from relex.ingest.explain import pick_device
from relex.ingest.models import LoadedModel
from tests.helpers import random_inputs, randomised

Result = TypeVar("Result")


@dataclass(frozen=True)
class Setup:
    """A seeded random model, a random batch and the zB bounds, all on one device."""

    device: torch.device
    loaded: LoadedModel
    inputs: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor


def setup(model: str, batch: int, device: str) -> Setup:
    chosen = pick_device(device)
    loaded = randomised(model)
    loaded.module.to(chosen)
    inputs = random_inputs(loaded, batch=batch).to(chosen)
    low, high = (bound.to(chosen) for bound in loaded.preprocessing.bounds())
    return Setup(chosen, loaded, inputs, low, high)


def timed(run: Callable[[], Result], device: torch.device) -> tuple[float, Result]:
    """Seconds ``run`` takes (synchronising CUDA around it) and what it returned."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = run()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result

"""Methods made for a model: an LRP composite needs the model's input bounds (the zB rule), which
its preprocessing knows."""

from __future__ import annotations

import torch
from torch import nn

from relex.ingest.lrp import LRP, composite_by_name
from relex.ingest.models import Preprocessing


def lrp_for(
    module: nn.Module,
    preprocessing: Preprocessing,
    method: str,
    *,
    device: torch.device | None = None,
) -> LRP:
    """LRP with composite ``method`` for ``module``, whose inputs ``preprocessing`` makes; the
    bounds are moved to ``device`` when one is given."""
    low, high = preprocessing.bounds()
    if device is not None:
        low, high = low.to(device), high.to(device)
    return LRP(module, composite_by_name(method, low=low, high=high))

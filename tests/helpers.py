"""Helpers shared by the tests: seeded random models as the engine sees them."""

from __future__ import annotations

import torch
from torch import nn

from ingest.models import LoadedModel, load_model


def randomised(name: str, *, bias_scale: float = 0.05, seed: int = 0) -> LoadedModel:
    """Model ``name`` with seeded random weights and non-zero biases (so bias handling is tested),
    ReLUs made out-of-place (captum's and zennit's hooks need that)."""
    loaded = load_model(name, "none", seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    for module in loaded.module.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False
        if isinstance(module, nn.Conv2d | nn.Linear) and module.bias is not None:
            with torch.no_grad():
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * bias_scale)
    return loaded


def zero_biases(loaded: LoadedModel) -> LoadedModel:
    for module in loaded.module.modules():
        if isinstance(module, nn.Conv2d | nn.Linear) and module.bias is not None:
            with torch.no_grad():
                module.bias.zero_()
    return loaded


def random_inputs(loaded: LoadedModel, batch: int = 2, seed: int = 7) -> torch.Tensor:
    """Fresh random (not zero) inputs in the model's normalised input space."""
    size = loaded.preprocessing.crop
    channels = loaded.preprocessing.channels
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, size, size, generator=generator)


def relative_error(ours: torch.Tensor, reference: torch.Tensor) -> float:
    return float((ours - reference).norm() / reference.norm())

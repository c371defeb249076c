"""The names the engine knows, without importing torch: the attribution methods (and what each
needs) and the model architectures. The command line builds its help from here; the modules that
build the methods and models check their own tables against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["lrp", "gradient", "baseline"]


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """One attribution method: its family, and where it can be used."""

    name: str
    family: Family
    explain: bool = True
    """``relex explain`` offers it (the random baseline is only an evaluation floor)."""
    evaluate: bool = True
    """``relex evaluate`` scores it."""

    @property
    def flows(self) -> bool:
        """Whether it yields neuron-to-neuron relevance flows (``relex ingest`` needs these)."""
        return self.family == "lrp"

    @property
    def needs_bounds(self) -> bool:
        """Whether it needs the input's value bounds (LRP composites: the zB rule)."""
        return self.family == "lrp"


REGISTRY: dict[str, MethodInfo] = {
    info.name: info
    for info in (
        MethodInfo("epsilon_gamma_box", "lrp"),
        MethodInfo("epsilon_plus_flat", "lrp"),
        MethodInfo("epsilon_plus", "lrp"),
        MethodInfo("epsilon_alpha2_beta1", "lrp"),
        MethodInfo("epsilon", "lrp"),
        MethodInfo("lrp0", "lrp"),
        MethodInfo("rlrp", "lrp"),
        MethodInfo("integrated_gradients", "gradient"),
        MethodInfo("gradient_x_input", "gradient"),
        MethodInfo("gradient", "gradient"),
        MethodInfo("deconvnet", "gradient", evaluate=False),
        MethodInfo("random", "baseline", explain=False),
    )
}

LRP_METHODS = tuple(name for name, info in REGISTRY.items() if info.flows)
"""The LRP composites: the methods ``relex ingest`` can write flows with."""
EXPLAIN_METHODS = tuple(name for name, info in REGISTRY.items() if info.explain)
EVALUATION_METHODS = tuple(name for name, info in REGISTRY.items() if info.evaluate)
RANDOM = "random"

MODELS = (
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "vgg11_bn",
    "vgg16_bn",
    "vgg19_bn",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "smallcnn28",
    "smallcnn64",
)
"""The architectures ``ingest.models`` builds (it checks its table against this)."""

DEFAULT_EVALUATION_METHODS = (
    "epsilon_gamma_box",
    "epsilon_plus_flat",
    "epsilon_alpha2_beta1",
    "rlrp",
    "integrated_gradients",
    "gradient_x_input",
    "gradient",
    RANDOM,
)
"""What ``relex evaluate`` compares unless told otherwise."""

LOCALISATION_METRICS = ("relevance_mass_accuracy", "relevance_rank_accuracy")
"""The metrics that need ground-truth masks."""
METRICS = (
    *LOCALISATION_METRICS,
    "aopc",
    "aopc_random",
    "sparseness",
    "complexity",
    "conservation_error",
)
EXPERIMENTS = ("methods", "randomisation", "selection", "lrp-vs-ig", "artefacts", "robustness")

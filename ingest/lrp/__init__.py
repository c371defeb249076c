"""The LRP engine: rules, composites, the forward/backward passes and the attribution methods."""

from relex.ingest.lrp.composites import Composite, composite_by_name
from relex.ingest.lrp.methods import (
    LRP,
    Attribution,
    DeconvNet,
    Gradient,
    GradientXInput,
    IntegratedGradients,
)
from relex.ingest.lrp.network import INPUT_LAYER, Network

__all__ = [
    "INPUT_LAYER",
    "LRP",
    "Attribution",
    "Composite",
    "DeconvNet",
    "Gradient",
    "GradientXInput",
    "IntegratedGradients",
    "Network",
    "composite_by_name",
]

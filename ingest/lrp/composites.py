"""Composites: which rule each layer gets. Names and defaults follow zennit's composites.

ReLU and dropout pass relevance through unchanged, max-pooling routes it to the maximum (the
gradient), flatten reshapes it, average pooling uses the composite's pooling rule and a residual
addition its addition rule (zennit's ``Sum`` with ``Norm``: the composite's stabiliser).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from torch import Tensor

from relex.ingest.errors import RelexError
from relex.ingest.lrp.rules import (
    AlphaBeta,
    Epsilon,
    Flat,
    Gamma,
    PoolingRule,
    Relative,
    Rule,
    ZBox,
    ZPlus,
)


@dataclass(frozen=True)
class Composite:
    """Rules by layer type; ``first`` (if set) replaces the rule of the first weight layer."""

    name: str
    conv: Rule
    linear: Rule
    first: Rule | None = None
    pooling: PoolingRule = field(default_factory=PoolingRule)
    addition: PoolingRule = field(default_factory=PoolingRule)
    """How a residual addition splits relevance between its branches (zennit's Sum with Norm)."""
    output_magnitude: bool = False
    """Start from ``|logit|`` instead of the logit (relative LRP: see its rule)."""

    def rule_for(self, kind: str, *, is_first: bool) -> Rule:
        if is_first and self.first is not None:
            return self.first
        return self.conv if kind == "conv" else self.linear


def epsilon_gamma_box(
    low: Tensor,
    high: Tensor,
    *,
    epsilon: float = 1e-6,
    gamma: float = 0.25,
    stabiliser: float = 1e-6,
) -> Composite:
    """zB for the first conv, gamma for the other convs, epsilon for linear layers."""
    return Composite(
        "epsilon_gamma_box",
        conv=Gamma(gamma, stabiliser),
        linear=Epsilon(epsilon),
        first=ZBox(low, high, stabiliser),
        pooling=PoolingRule(stabiliser),
        addition=PoolingRule(stabiliser),
    )


def epsilon_plus_flat(*, epsilon: float = 1e-6, stabiliser: float = 1e-6) -> Composite:
    """Flat for the first weight layer, z+ for the other convs, epsilon for linear layers."""
    return Composite(
        "epsilon_plus_flat",
        conv=ZPlus(stabiliser),
        linear=Epsilon(epsilon),
        first=Flat(stabiliser),
        pooling=PoolingRule(stabiliser),
        addition=PoolingRule(stabiliser),
    )


def epsilon_plus(*, epsilon: float = 1e-6, stabiliser: float = 1e-6) -> Composite:
    """z+ for every conv, epsilon for linear layers."""
    return Composite(
        "epsilon_plus",
        ZPlus(stabiliser),
        Epsilon(epsilon),
        pooling=PoolingRule(stabiliser),
        addition=PoolingRule(stabiliser),
    )


def epsilon_alpha2_beta1(*, epsilon: float = 1e-6, stabiliser: float = 1e-6) -> Composite:
    """Alpha2-beta1 for every conv, epsilon for linear layers."""
    return Composite(
        "epsilon_alpha2_beta1",
        conv=AlphaBeta(2.0, 1.0, stabiliser),
        linear=Epsilon(epsilon),
        pooling=PoolingRule(stabiliser),
        addition=PoolingRule(stabiliser),
    )


def uniform_epsilon(epsilon: float = 1e-6, *, name: str = "epsilon") -> Composite:
    """Epsilon everywhere (``epsilon=0``: LRP-0), average pooling stabilised by the same epsilon."""
    return Composite(
        name,
        Epsilon(epsilon),
        Epsilon(epsilon),
        pooling=PoolingRule(epsilon),
        addition=PoolingRule(epsilon),
    )


def relative() -> Composite:
    """Relative LRP in every layer (see :class:`ingest.lrp.rules.Relative`). At a residual
    addition it divides, as Nyiri & Gibaru do only at skip connections: each branch gets
    ``x_k * R / stabilise(x_1 + x_2)``, its share of the sum (stabiliser 1e-6)."""
    return Composite(
        "rlrp",
        Relative(),
        Relative(),
        pooling=PoolingRule(None),
        addition=PoolingRule(1e-6),
        output_magnitude=True,
    )


COMPOSITES: dict[str, Callable[[Tensor, Tensor], Composite]] = {
    "epsilon_gamma_box": lambda low, high: epsilon_gamma_box(low, high),
    "epsilon_plus_flat": lambda low, high: epsilon_plus_flat(),
    "epsilon_plus": lambda low, high: epsilon_plus(),
    "epsilon_alpha2_beta1": lambda low, high: epsilon_alpha2_beta1(),
    "epsilon": lambda low, high: uniform_epsilon(),
    "lrp0": lambda low, high: uniform_epsilon(0.0, name="lrp0"),
    "rlrp": lambda low, high: relative(),
}


def composite_by_name(name: str, *, low: Tensor, high: Tensor) -> Composite:
    """A named composite; ``low``/``high`` are the input bounds the zB rule needs."""
    try:
        return COMPOSITES[name](low, high)
    except KeyError:
        raise RelexError(
            f"unknown LRP composite {name!r}; known: {', '.join(COMPOSITES)}"
        ) from None

"""LRP rules for weight layers, written as data the engine evaluates.

A rule splits a layer's redistribution into *terms*. A term has *parts*, each a modified input
``x_v`` with modified parameters ``(w_v, b_v)`` and a sign. For a term with stabiliser ``eps``::

    z'    = sum_v sign_v * f(x_v; w_v, b_v)            (a modified forward pass)
    s     = gate * R / stabilise(z', eps)
    R_in += coefficient * sum_v sign_v * x_v * f^T(s; w_v)

where ``f^T`` is the transpose of the layer (the gradient with respect to its input) and
``stabilise(z, eps) = z + eps * sign(z)`` with ``sign(0) = 1``. The message from upper neuron ``j``
to lower neuron ``i`` is the same sum before summing over ``i`` (see :mod:`ingest.lrp.engine`).
Parameters follow zennit's rules (Anders et al. 2021, "Software for dataset-wide XAI") so
results can be compared with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from torch import Tensor

InputModifier = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Part:
    """One modified forward pass ``sign * f(input_modifier(x); weight, bias)`` of a term."""

    input_modifier: InputModifier
    weight: Tensor
    bias: Tensor | None
    sign: float = 1.0
    is_forward: bool = False
    """True when the part is the layer's own forward pass, so its output ``z`` is reused."""
    input_sign: Literal["any", "positive", "negative"] = "any"
    """Which inputs the modifier keeps: after a ReLU (inputs >= 0) a ``positive`` part reads the
    input unchanged and a ``negative`` part reads zeros and is skipped."""


@dataclass(frozen=True)
class Term:
    """Parts sharing one denominator; ``stabiliser=None`` means no division (relative LRP)."""

    coefficient: float
    parts: tuple[Part, ...]
    stabiliser: float | None
    gate: Callable[[Tensor], Tensor] | None = None
    """A boolean mask of the layer's own output ``z``: where the term applies."""


@dataclass(frozen=True)
class Rule:
    """Base of the weight-layer rules: ``terms`` builds the terms for a layer's parameters."""

    rescale_layer: ClassVar[bool] = False
    """When True the engine rescales each layer's relevance to keep its L1 mass (relative LRP)."""

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        raise NotImplementedError


def stabilise(z: Tensor, epsilon: float) -> Tensor:
    """``z + epsilon * sign(z)`` with ``sign(0) = 1``: the denominator of the epsilon rule."""
    return torch.where(z >= 0, z + epsilon, z - epsilon)


def _identity(x: Tensor) -> Tensor:
    return x


def _positive(x: Tensor) -> Tensor:
    return x.clamp(min=0)


def _negative(x: Tensor) -> Tensor:
    return x.clamp(max=0)


def _ones(x: Tensor) -> Tensor:
    return torch.ones_like(x)


def _plus(tensor: Tensor | None) -> Tensor | None:
    return None if tensor is None else tensor.clamp(min=0)


def _minus(tensor: Tensor | None) -> Tensor | None:
    return None if tensor is None else tensor.clamp(max=0)


@dataclass(frozen=True)
class Epsilon(Rule):
    """LRP-epsilon (Bach et al. 2015); ``epsilon=0`` is LRP-0."""

    epsilon: float = 1e-6

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        part = Part(_identity, weight, bias, is_forward=True)
        return (Term(1.0, (part,), self.epsilon),)


@dataclass(frozen=True)
class Gamma(Rule):
    """LRP-gamma (Montavon et al. 2019) in its generalised form for signed inputs (Andeol et al.
    2021, as zennit >= 0.5): positive outputs favour positive contributions, negative outputs
    negative ones. After a ReLU (non-negative inputs) it is the original gamma rule."""

    gamma: float = 0.25
    stabiliser: float = 1e-6

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        up_weight = weight + self.gamma * weight.clamp(min=0)
        down_weight = weight + self.gamma * weight.clamp(max=0)
        up_bias = None if bias is None else bias + self.gamma * bias.clamp(min=0)
        down_bias = None if bias is None else bias + self.gamma * bias.clamp(max=0)
        positive = Term(
            1.0,
            (
                Part(_positive, up_weight, up_bias, input_sign="positive"),
                Part(_negative, down_weight, None, input_sign="negative"),
            ),
            self.stabiliser,
            gate=lambda z: z > 0,
        )
        negative = Term(
            1.0,
            (
                Part(_positive, down_weight, down_bias, input_sign="positive"),
                Part(_negative, up_weight, None, input_sign="negative"),
            ),
            self.stabiliser,
            gate=lambda z: z < 0,
        )
        return (positive, negative)


@dataclass(frozen=True)
class AlphaBeta(Rule):
    """LRP-alpha-beta (Bach et al. 2015): ``alpha`` times the positive contributions' share minus
    ``beta`` times the negative ones'; ``alpha - beta = 1``. Alpha1-beta0 is the z+ rule."""

    alpha: float = 2.0
    beta: float = 1.0
    stabiliser: float = 1e-6

    def __post_init__(self) -> None:
        if self.alpha < 0 or self.beta < 0 or abs(self.alpha - self.beta - 1.0) > 1e-12:
            raise ValueError("alpha-beta rule needs alpha, beta >= 0 and alpha - beta = 1")

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        plus, minus = weight.clamp(min=0), weight.clamp(max=0)
        positive = Term(
            self.alpha,
            (
                Part(_positive, plus, _plus(bias), input_sign="positive"),
                Part(_negative, minus, None, input_sign="negative"),
            ),
            self.stabiliser,
        )
        negative = Term(
            -self.beta,
            (
                Part(_positive, minus, _minus(bias), input_sign="positive"),
                Part(_negative, plus, None, input_sign="negative"),
            ),
            self.stabiliser,
        )
        return (positive, negative) if self.beta else (positive,)


def ZPlus(stabiliser: float = 1e-6) -> AlphaBeta:  # noqa: N802 - a rule name, like zennit's
    """The z+ rule (Montavon et al. 2017): alpha-beta with alpha=1, beta=0."""
    return AlphaBeta(alpha=1.0, beta=0.0, stabiliser=stabiliser)


@dataclass(frozen=True)
class ZBox(Rule):
    """The zB rule for bounded pixel input (Montavon et al. 2017): ``low``/``high`` are the lowest
    and highest possible input values, broadcast against the input (e.g. shape (1, C, 1, 1))."""

    low: Tensor
    high: Tensor
    stabiliser: float = 1e-6

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        low, high = self.low, self.high

        def lowest(x: Tensor) -> Tensor:
            return low.to(x).expand_as(x)

        def highest(x: Tensor) -> Tensor:
            return high.to(x).expand_as(x)

        parts = (
            Part(_identity, weight, bias, is_forward=True),
            Part(lowest, weight.clamp(min=0), _plus(bias), sign=-1.0),
            Part(highest, weight.clamp(max=0), _minus(bias), sign=-1.0),
        )
        return (Term(1.0, parts, self.stabiliser),)


@dataclass(frozen=True)
class Flat(Rule):
    """The flat rule (Lapuschkin et al. 2019): every input and weight counts as one, no bias."""

    stabiliser: float = 1e-6

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        return (Term(1.0, (Part(_ones, torch.ones_like(weight), None),), self.stabiliser),)


@dataclass(frozen=True)
class WSquare(Rule):
    """The w-square rule (Montavon et al. 2017): shares by squared weights, inputs ignored."""

    stabiliser: float = 1e-6

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        squared_bias = None if bias is None else bias**2
        return (Term(1.0, (Part(_ones, weight**2, squared_bias),), self.stabiliser),)


@dataclass(frozen=True)
class Relative(Rule):
    """Relative LRP (R-LRP, after Nyiri & Gibaru 2025, arXiv:2501.14322), as implemented here.

    The message from upper neuron ``j`` to lower neuron ``i`` is the raw contribution
    ``a_i * w_ij * R_j``: nothing is divided by the neuron's own pre-activation ``z_j``, so a zero
    or tiny ``z_j`` cannot blow it up, and there is no epsilon to tune. The lower layer's relevance
    ``U_i = sum_j a_i w_ij R_j`` is then rescaled by one positive factor per image and layer,
    ``c = ||R_upper||_1 / ||U||_1`` (0 when ``U`` is all zero), so the L1 mass of relevance is the
    same in every layer (the conservation law up to one factor per layer) and signs are kept.
    The output relevance is ``|f_t(x)|``: without the division by ``z_j`` a negative logit would
    otherwise flip every sign, so each message keeps the sign of its contribution ``a_i w_ij``.
    """

    rescale_layer: ClassVar[bool] = True

    def terms(self, weight: Tensor, bias: Tensor | None) -> tuple[Term, ...]:
        return (Term(1.0, (Part(_identity, weight, None),), None),)


@dataclass(frozen=True)
class PoolingRule:
    """How relevance passes an average pooling layer: Norm (proportional to the inputs, with a
    stabiliser, as zennit's ``Norm``), or relative (no division, rescaled as :class:`Relative`)."""

    stabiliser: float | None = 1e-6

    @property
    def rescale_layer(self) -> bool:
        return self.stabiliser is None

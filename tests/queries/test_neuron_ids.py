"""The one parser of neuron ids is the inverse of the one builder, and refuses what is not one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relex.queries import InvalidRowError
from relex.queries.ids import neuron_id, parse_neuron_id

NAMES = st.text(st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), min_size=1)


@given(model=NAMES, layer=NAMES, index=st.integers(min_value=0, max_value=10**9))
def test_parse_inverts_neuron_id(model: str, layer: str, index: int) -> None:
    parts = parse_neuron_id(neuron_id(model, layer, index))
    assert (parts.model, parts.layer, parts.index) == (model, layer, index)
    assert parts.local == f"{layer}/{index}"


@pytest.mark.parametrize(
    "text", ["", "vgg16", "vgg16/features.0", "vgg16/features.0/x", "/features.0/1", "a/b/c/1"]
)
def test_what_is_not_a_neuron_id_is_refused(text: str) -> None:
    with pytest.raises(InvalidRowError, match="is not a neuron id"):
        parse_neuron_id(text)

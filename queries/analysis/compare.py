"""Comparing classes: two classes of one run, of two runs over the same model (e.g. Imagenette
and Imagewoof on ImageNet VGG16), or every class two runs have in common.

Per layer (matched by name and size): the Jaccard overlap of the two top-k neuron sets, the
Spearman correlation of all the layer's neuron relevances, and the shared top-k neurons. Over
the whole network: the edges both *critical subgraphs* hold, a class's critical subgraph being
its FLOW edges whose two neurons are both in the top k of their layers. Neurons are matched by
layer name and index, so two runs of one architecture compare even when their model ids differ;
shared edges are given with run A's neuron ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from relex.queries.analysis.lookup import (
    ClassScope,
    class_scope,
    list_classes,
    neuron_params,
    positive,
)
from relex.queries.analysis.results import (
    ClassComparison,
    ClassInfo,
    DatasetComparison,
    LayerComparison,
    mean_over,
)
from relex.queries.analysis.stats import jaccard, spearman, top_k
from relex.queries.ids import SEP, neuron_id, parse_neuron_id
from relex.queries.store import GraphStore


@dataclass(frozen=True)
class _ClassProfile:
    """One class's relevance per layer, its top-k neurons and its critical subgraph."""

    scope: ClassScope
    relevance: dict[str, npt.NDArray[np.float64]]
    top: dict[str, set[int]]
    edges: set[tuple[str, str]]
    """(upper, lower) as "<layer>/<index>" keys, model id left out."""


def compare_classes(
    store: GraphStore, *, run_a: str, class_a: str, run_b: str, class_b: str, k: int = 10
) -> ClassComparison:
    """Class ``class_a`` of ``run_a`` against ``class_b`` of ``run_b`` (see the module
    docstring); layers are in run A's order."""
    positive("k", k)
    a = _profile(store, run_a, class_a, k)
    b = _profile(store, run_b, class_b, k)
    sizes_b = {layer.name: layer.size for layer in b.scope.layers}
    layers = tuple(
        LayerComparison(
            layer=layer.name,
            jaccard=jaccard(a.top[layer.name], b.top[layer.name]),
            spearman=spearman(a.relevance[layer.name], b.relevance[layer.name]),
            shared=tuple(sorted(a.top[layer.name] & b.top[layer.name])),
            neurons=layer.size,
            only_a=tuple(sorted(a.top[layer.name] - b.top[layer.name])),
            only_b=tuple(sorted(b.top[layer.name] - a.top[layer.name])),
            informative=layer.size > k,
        )
        for layer in a.scope.layers
        if sizes_b.get(layer.name) == layer.size
    )
    model = a.scope.run.model
    shared = tuple(
        sorted(
            (f"{model}{SEP}{upper}", f"{model}{SEP}{lower}") for upper, lower in a.edges & b.edges
        )
    )
    return ClassComparison(
        run_a,
        a.scope.info.id,
        run_b,
        b.scope.info.id,
        k,
        layers,
        shared,
        len(a.edges),
        len(b.edges),
        mean_over(layers, "jaccard"),
        mean_over(layers, "spearman"),
    )


def compare_datasets(
    store: GraphStore,
    *,
    run_a: str,
    run_b: str,
    k: int = 10,
    on_pair: Callable[[ClassComparison], None] | None = None,
) -> DatasetComparison:
    """Every class of ``run_a`` matched to the class of ``run_b`` with the same ImageNet wnid
    (when both have one) or else the same name (case-insensitive), each pair compared with
    ``compare_classes``; plus the classes only one run has. ``on_pair`` is given each pair's
    comparison as soon as it is made (a thousand pairs take a minute or two), so a caller can
    show the rows while the rest are computed."""
    positive("k", k)
    classes_a = list_classes(store, run=run_a)
    classes_b = list_classes(store, run=run_b)
    by_wnid = {c.wnid: c for c in classes_b if c.wnid}
    by_name = {c.name.casefold(): c for c in classes_b}
    pairs: list[tuple[ClassInfo, ClassInfo]] = []
    for cls in classes_a:
        match = by_wnid.get(cls.wnid) if cls.wnid else None
        match = match or by_name.get(cls.name.casefold())
        if match is not None:
            pairs.append((cls, match))
    matched_b = {b.id for _, b in pairs}
    matched_a = {a.id for a, _ in pairs}
    compared = []
    for a, b in pairs:
        compared.append(
            compare_classes(store, run_a=run_a, class_a=a.id, run_b=run_b, class_b=b.id, k=k)
        )
        if on_pair is not None:
            on_pair(compared[-1])
    return DatasetComparison(
        run_a,
        run_b,
        k,
        tuple(compared),
        tuple(c for c in classes_a if c.id not in matched_a),
        tuple(c for c in classes_b if c.id not in matched_b),
        store.get_run(run_a).accuracy,
        store.get_run(run_b).accuracy,
    )


def _profile(store: GraphStore, run: str, class_id: str, k: int) -> _ClassProfile:
    scope = class_scope(store, run=run, class_id=class_id)
    class_id = scope.info.id
    sizes = {layer.name: layer.size for layer in scope.layers}
    relevance = {name: np.zeros(size) for name, size in sizes.items()}
    for row in store.query_named("class_relevance", {"run": run, "class_id": class_id}):
        relevance[row["layer"]][np.asarray(row["idx"], dtype=np.int64)] = row["relevance"]
    top = {name: {int(i) for i in top_k(values, k)} for name, values in relevance.items()}
    model = scope.run.model
    ids = [neuron_id(model, name, index) for name, chosen in top.items() for index in chosen]
    keys = {neuron: parse_neuron_id(neuron).local for neuron in ids}
    params = {"run": run, "class_id": class_id, **neuron_params(ids)}
    rows = store.query_named("flows_from", params)
    edges = {(keys[row["src"]], keys[row["dst"]]) for row in rows if row["dst"] in keys}
    return _ClassProfile(scope, relevance, top, edges)

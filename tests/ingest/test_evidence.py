"""Critical paths on a class's dense flows (ingest.evidence) against a brute-force enumeration
under the documented score, and the counter-evidence chain the old definition chose."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from relex.ingest.aggregate import evidence_shares, outflow_totals
from relex.ingest.evidence import evidence_paths
from relex.queries.analysis.paths import LayerEdges, k_best_paths
from tests.ingest.test_aggregate import reference_shares


def dense_shares(flows: dict, relevance: dict) -> dict:
    totals = outflow_totals(flows)
    return {
        (lower, upper): evidence_shares(flow, totals[upper], relevance[lower])
        for (lower, upper), flow in flows.items()
    }


def brute_force(flows: dict, relevance: dict, names: list[str], source: int, k: int, sign: int):
    """Every path of ``sign`` from the top layer's ``source`` to names[1], by plain loops: its
    edges' flows have the sign, each lower neuron's relevance has it; score = the first flow
    times the later shares; ordered by cost rounded to 1e-9, then by the index sequence."""
    shares = {pair: reference_shares(flow, relevance[pair[0]]) for pair, flow in flows.items()}
    found = []
    walk = names[:0:-1]  # from the top layer down to the first weight layer
    sizes = [len(relevance[name]) for name in walk[1:]]
    for tail in itertools.product(*(range(size) for size in sizes)):
        indices = (source, *tail)
        cost, factors, ok = 0.0, [], True
        for (upper, lower), (j, i) in zip(
            itertools.pairwise(walk), itertools.pairwise(indices), strict=True
        ):
            flow, share = flows[(lower, upper)][i, j], shares[(lower, upper)][i, j]
            if not (flow * sign > 0 and math.isfinite(share)):
                ok = False
                break
            cost -= math.log(share)
            factors.append(share)
        if ok:
            first = flows[(walk[1], walk[0])][indices[1], indices[0]]
            score = first * math.prod(factors[1:])
            found.append((round(cost, 9), indices, score))
    found.sort(key=lambda item: (item[0], item[1]))
    return found[:k]


@st.composite
def dense_networks(draw: st.DrawFn) -> tuple[dict, dict, list[str]]:
    depth = draw(st.integers(3, 5))
    widths = [draw(st.integers(1, 4)) for _ in range(depth - 1)] + [1]
    names = [f"l{i}" for i in range(depth)]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0])  # few values: ties
    flows = {
        (names[i], names[i + 1]): rng.choice(values, (widths[i], widths[i + 1]))
        for i in range(depth - 1)
    }
    relevance = {name: rng.choice(values, widths[i]) for i, name in enumerate(names)}
    relevance[names[-1]] = np.array([1.5])
    return flows, relevance, names


@settings(max_examples=80, deadline=None)
@given(network=dense_networks(), k=st.integers(1, 6), sign=st.sampled_from([1, -1]))
def test_dense_paths_equal_brute_force(network: tuple, k: int, sign: int) -> None:
    flows, relevance, names = network
    found = evidence_paths(
        flows,
        dense_shares(flows, relevance),
        {name: depth for depth, name in enumerate(names)},
        source=(names[-1], 0),
        target_layer=names[1],
        k=k,
        sign=sign,
    )
    expected = brute_force(flows, relevance, names, 0, k, sign)
    assert [tuple(index for _, index in p.hops) for p in found] == [e[1] for e in expected]
    np.testing.assert_allclose([p.score for p in found], [e[2] for e in expected], rtol=1e-9)
    assert [p.rank for p in found] == list(range(1, len(found) + 1))
    assert all(p.score * sign > 0 for p in found)


def counter_evidence_network() -> tuple[dict, dict, list[str]]:
    """A network whose largest product of old shares (flow / the upper neuron's whole relevance)
    runs through two neurons of negative relevance: c2/1 (-0.3) passes +5.7 and -6.0 down, so
    its old share towards c1/1 is -6.0 / -0.3 = 20."""
    names = ["input", "c1", "c2", "c3", "out"]
    flows = {
        ("c3", "out"): np.array([[0.9], [0.1]]),
        ("c2", "c3"): np.array([[1.3, 0.0], [-0.4, 0.1]]),
        ("c1", "c2"): np.array([[1.3, 5.7], [0.0, -6.0]]),
        ("input", "c1"): np.array([[7.0, 0.0], [0.0, -6.0]]),
    }
    relevance = {
        "out": np.array([1.0]),
        "c3": np.array([0.9, 0.1]),
        "c2": np.array([1.3, -0.3]),
        "c1": np.array([7.0, -6.0]),
        "input": np.array([7.0, -6.0]),
    }
    return flows, relevance, names


def test_the_old_score_picks_counter_evidence_and_the_new_one_does_not() -> None:
    flows, relevance, names = counter_evidence_network()
    depths = {name: depth for depth, name in enumerate(names)}
    old = []
    for (lower, upper), flow in flows.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            share = flow / relevance[upper][None, :]
            cost = np.where(share > 0, -np.log(share), np.nan)
        rows, columns = np.nonzero(flow)
        old.append(LayerEdges(upper, lower, columns, rows, cost[rows, columns]))
    (old_best,) = k_best_paths(old, depths, source=("out", 0), target_layer="input", k=1)
    assert old_best.hops == (("out", 0), ("c3", 1), ("c2", 1), ("c1", 1), ("input", 1))
    assert relevance["c2"][1] < 0 and relevance["c1"][1] < 0  # a chain of counter-evidence

    shares = dense_shares(flows, relevance)
    (best,) = evidence_paths(
        flows, shares, depths, source=("out", 0), target_layer="input", k=1, sign=1
    )
    assert best.hops == (("out", 0), ("c3", 0), ("c2", 0), ("c1", 0), ("input", 0))
    assert best.score == 0.9  # 0.9 leaves the output, and every later share is 1
    # The output passes no negative flow down, so no path carries evidence against the class.
    assert (
        evidence_paths(flows, shares, depths, source=("out", 0), target_layer="input", k=1, sign=-1)
        == []
    )

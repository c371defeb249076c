"""The query catalogue as typed functions: each takes a ``GraphStore`` and keyword arguments,
runs ``.cypher`` files from ``queries/cypher`` with parameters only, and returns frozen
dataclasses (``queries.analysis.results``); the same function works on the embedded store
(kuzu, ladybug) and on Neo4j. Unknown runs, classes, layers and neurons raise
``queries.errors.NotFoundError``; out-of-range arguments ``InvalidArgumentError``.
"""

from relex.queries.analysis.compare import compare_classes, compare_datasets
from relex.queries.analysis.critical import critical_paths
from relex.queries.analysis.errors import InvalidArgumentError
from relex.queries.analysis.lookup import find_class, list_classes, list_layers, list_runs
from relex.queries.analysis.neurons import neuron_detail, top_neurons
from relex.queries.analysis.results import (
    ClassComparison,
    ClassEdge,
    ClassInfo,
    ClassRank,
    CriticalPaths,
    DatasetComparison,
    Edge,
    ImageRelevance,
    LayerComparison,
    LayerInfo,
    NeuronDetail,
    Path,
    RankedNeuron,
    RunInfo,
    Subgraph,
    SubgraphNode,
)
from relex.queries.analysis.subgraph import subgraph

QUERY_NAMES = (
    "list_runs",
    "run_classes",
    "model_layers",
    "get_class",
    "class_output",
    "get_neuron",
    "top_neurons",
    "class_relevance",
    "class_neuron_keys",
    "class_flows",
    "flows_from_keys",
    "flows_from",
    "flows_into",
    "neuron_relevance",
    "neuron_classes",
    "neuron_incoming",
    "neuron_outgoing",
    "neuron_images",
)
"""Every catalogue query these functions run (the grammar test parses each Neo4j text)."""

__all__ = [
    "QUERY_NAMES",
    "ClassComparison",
    "ClassEdge",
    "ClassInfo",
    "ClassRank",
    "CriticalPaths",
    "DatasetComparison",
    "Edge",
    "ImageRelevance",
    "InvalidArgumentError",
    "LayerComparison",
    "LayerInfo",
    "NeuronDetail",
    "Path",
    "RankedNeuron",
    "RunInfo",
    "Subgraph",
    "SubgraphNode",
    "compare_classes",
    "compare_datasets",
    "critical_paths",
    "find_class",
    "list_classes",
    "list_layers",
    "list_runs",
    "neuron_detail",
    "subgraph",
    "top_neurons",
]

"""The graph schema, the same on every backend (DESIGN.md "Graph schema").

Nodes (every one has a deterministic string ``id``, see ``queries.ids``):

- ``Model``   id = name; name, arch (e.g. "vgg16"), layers (count), neurons (count).
- ``Layer``   id = "<model>/<layer name>"; model (id), name, index (depth: 0 is the input,
  then each weight layer in forward order), kind ("input" | "conv" | "linear"), size (neurons).
- ``Neuron``  id = "<model>/<layer name>/<index>"; model (id), layer (name), index (channel,
  unit or logit). A Neuron is shared by every run of its model; per-run numbers live on edges.
- ``ClassNeuron``  id = "<run>/<class id>/<neuron id>"; run, class (Class id), neuron (Neuron
  id), layer (name), index. One neuron as one class of one run sees it: the ends of that class's
  FLOW edges. Per-class nodes keep a class's flows apart from every other class's and run's, so a
  per-class query reads only its own rows: it starts at the Class node and follows HOLDS.
- ``Dataset`` id = name; name, kind (e.g. "imagenet", "imagefolder", "mnist"), path.
- ``Class``   id = "<dataset>/<class index>" (dataset-scoped, so one class is comparable across
  runs); dataset (id), name, index, wnid (ImageNet WordNet id, optional).
- ``Image``   id = "<dataset>/<path>"; dataset (id), path (relative to the dataset root),
  label (class index, optional).
- ``Run``     id chosen by the caller (a slug); name, model (id), dataset (id), method (LRP
  composite or attribution method), params (JSON text), status ("pending" | "running" |
  "done" | "failed"), created_at / updated_at (ISO-8601 UTC text), images, classes, flows,
  skipped (counts; skipped = unreadable images left out), accuracy (optional), code_version,
  weights_hash, graph_version (the version of the graph's meaning it was written with,
  ``GRAPH_VERSION``; runs without it were written before critical paths were signed).
- ``CriticalPath``  id = "<run>/<class id>/<sign>/<rank>"; run, class (Class id), sign
  ("positive": evidence for the class, "negative": evidence against), rank (1 = best), score
  (the relevance the path carries, see ``queries.analysis.paths``). One of the run's k best
  paths of that sign for the class, from its output neuron to the first weight layer.

Relationships:

- ``(Layer)-[:NEXT]->(Layer)``  forward order: index i to index i + 1 of one model, or from each
  layer a layer reads (a ResNet block's input layers to both branches).
- ``(Layer)-[:HAS]->(Neuron)``
- ``(Class)-[:HOLDS]->(ClassNeuron)`` and ``(Neuron)-[:IN_CLASS]->(ClassNeuron)``  the two ways
  in: a class's neurons in each run, and a neuron in each class of each run.
- ``(ClassNeuron)-[:FLOW {relevance, share, cost}]->(ClassNeuron)``  from the upper to the lower
  layer, both ends of one run and class. Keyed by (run, class, upper, lower): the two ends'
  ids. ``relevance`` is the relevance the upper
  neuron passes to the lower one (summed over the class's images); ``share`` (in (0, 1]) = that
  relevance over the upper neuron's total relevance of the same sign, null where the lower
  neuron's class relevance has the other sign (``ingest.aggregate``); ``cost`` = -ln(share) >= 0,
  so the path carrying the most relevance of one sign is a weighted shortest path.
- ``(Class)-[:RELEVANT {run, relevance, rank, mean, retained, images}]->(Neuron)``  per-class
  neuron statistics of one run: relevance summed over the class's images, their mean, the rank
  of the neuron in its layer, ``retained`` (the fraction of the neuron's relevance that its
  stored top-k FLOW edges keep) and ``images`` (how many images were aggregated). Keyed by
  (run, class, neuron). These stats sit on the edge because a Neuron is shared by runs.
- ``(Image)-[:RELEVANT {run, relevance, rank}]->(Neuron)``  keyed by (run, image, neuron);
  mean, retained and images are null there.
- ``(Run)-[:OF]->(Model)``, ``(Run)-[:ON]->(Dataset)``
- ``(CriticalPath)-[:STEP {position}]->(Neuron)``  the path's neurons, position 0 at the
  output.

Portability rules for every Cypher text in ``queries/cypher``: write ``n.`index``` and
``n.`size``` with backticks (``index`` is a reserved word in ladybug, ``size`` one in the GQL
grammar that checks the Neo4j texts), and the relationship types NEXT, OF and ON the same way,
e.g. ``[:`NEXT`]`` (they are keywords of Cypher / GQL).

Weighted shortest paths on the Kuzu family (checked on kuzu 0.11.3 and ladybug 0.22.0):
``MATCH (a:ClassNeuron {id: $a})-[f:FLOW* WSHORTEST(cost)]->(b:ClassNeuron {id: $b}) RETURN
cost(f), properties(nodes(f), 'neuron'), properties(rels(f), 'share')`` works (the ends are of
one run and class, so the path stays in it), also with a bound and a filter: ``[f:FLOW*
WSHORTEST(cost) 1..20 (r, n | WHERE r.relevance > 0 AND r.cost IS NOT NULL)]`` (evidence for;
``< 0`` for evidence against).
``nodes(f)`` lists the intermediate nodes only. A *named path* (``MATCH p = ...`` returning
``p``, ``nodes(p)`` or ``length(p)``) fails with "Cannot evaluate expression with type
PROPERTY" (kuzu, ladybug) or "Cost function is not defined for p" (ladybug), and in one kuzu
case crashed the process: always use the relationship variable, never a named path.
"""

from dataclasses import dataclass
from typing import Final, Literal

PropertyType = Literal["STRING", "INT64", "DOUBLE"]


@dataclass(frozen=True, slots=True)
class Property:
    """One stored property: its name in the graph and its Kuzu type."""

    name: str
    type: PropertyType


def _props(*pairs: tuple[str, PropertyType]) -> tuple[Property, ...]:
    return tuple(Property(name, kind) for name, kind in pairs)


STR: Final = "STRING"
INT: Final = "INT64"
DBL: Final = "DOUBLE"

NODE_PROPERTIES: Final[dict[str, tuple[Property, ...]]] = {
    "Model": _props(("id", STR), ("name", STR), ("arch", STR), ("layers", INT), ("neurons", INT)),
    "Layer": _props(
        ("id", STR), ("model", STR), ("name", STR), ("index", INT), ("kind", STR), ("size", INT)
    ),
    "Neuron": _props(("id", STR), ("model", STR), ("layer", STR), ("index", INT)),
    "ClassNeuron": _props(
        ("id", STR), ("run", STR), ("class", STR), ("neuron", STR), ("layer", STR), ("index", INT)
    ),
    "Dataset": _props(("id", STR), ("name", STR), ("kind", STR), ("path", STR)),
    "Class": _props(("id", STR), ("dataset", STR), ("name", STR), ("index", INT), ("wnid", STR)),
    "Image": _props(("id", STR), ("dataset", STR), ("path", STR), ("label", INT)),
    "Run": _props(
        ("id", STR),
        ("name", STR),
        ("model", STR),
        ("dataset", STR),
        ("method", STR),
        ("params", STR),
        ("status", STR),
        ("created_at", STR),
        ("updated_at", STR),
        ("images", INT),
        ("classes", INT),
        ("flows", INT),
        ("skipped", INT),
        ("accuracy", DBL),
        ("code_version", STR),
        ("weights_hash", STR),
        ("graph_version", INT),
    ),
    "CriticalPath": _props(
        ("id", STR), ("run", STR), ("class", STR), ("sign", STR), ("rank", INT), ("score", DBL)
    ),
}

REL_PROPERTIES: Final[dict[str, tuple[Property, ...]]] = {
    "NEXT": (),
    "HAS": (),
    "HOLDS": (),
    "IN_CLASS": (),
    "FLOW": _props(("relevance", DBL), ("share", DBL), ("cost", DBL)),
    "RELEVANT": _props(
        ("run", STR),
        ("relevance", DBL),
        ("rank", INT),
        ("mean", DBL),
        ("retained", DBL),
        ("images", INT),
    ),
    "OF": (),
    "ON": (),
    "STEP": _props(("position", INT)),
}

REL_ENDPOINTS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "NEXT": (("Layer", "Layer"),),
    "HAS": (("Layer", "Neuron"),),
    "HOLDS": (("Class", "ClassNeuron"),),
    "IN_CLASS": (("Neuron", "ClassNeuron"),),
    "FLOW": (("ClassNeuron", "ClassNeuron"),),
    "RELEVANT": (("Class", "Neuron"), ("Image", "Neuron")),
    "OF": (("Run", "Model"),),
    "ON": (("Run", "Dataset"),),
    "STEP": (("CriticalPath", "Neuron"),),
}

NODE_LABELS: Final = tuple(NODE_PROPERTIES)
REL_TYPES: Final = tuple(REL_PROPERTIES)

LAYER_KINDS: Final = frozenset({"input", "conv", "linear"})
RUN_STATUSES: Final = frozenset({"pending", "running", "done", "failed"})
PATH_SIGNS: Final = {"positive": 1, "negative": -1}
"""The signs of critical paths: evidence for the class, evidence against it."""
GRAPH_VERSION: Final = 3
"""The meaning of the stored graph: 2 since FLOW shares are signed and critical paths stored, 3
since FLOW edges join per-class ClassNeuron nodes."""

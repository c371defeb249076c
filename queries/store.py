"""The ``GraphStore`` interface that every backend implements, and what they share."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self

from relex.queries import catalogue
from relex.queries.errors import NotFoundError, OutdatedGraphError, ReadOnlyStoreError, StoreError
from relex.queries.rows import FlowBatch, FlowRow, NodeRow, RelevanceRow, RunRow
from relex.queries.schema import GRAPH_VERSION, NODE_LABELS, REL_TYPES
from relex.queries.writes import NODE_WRITES, NodeWrite, Requirement, group_nodes

log = logging.getLogger(__name__)


ReadOnlyRows = tuple[list[str], list[list[Any]], bool]
"""What :meth:`GraphStore.read_only_query` returns: columns, rows, whether the cap cut rows."""


@dataclass(frozen=True, slots=True)
class Counts:
    """How many nodes each label has and how many relationships each type has (zeros included)."""

    nodes: Mapping[str, int]
    relationships: Mapping[str, int]

    @classmethod
    def from_rows(cls, nodes: Mapping[str, int], relationships: Mapping[str, int]) -> Counts:
        """Counts over every schema label and type, missing ones as 0."""
        return cls(
            {label: int(nodes.get(label, 0)) for label in NODE_LABELS},
            {kind: int(relationships.get(kind, 0)) for kind in REL_TYPES},
        )


def outdated_error(store: str, runs: Sequence[str]) -> OutdatedGraphError:
    """The error for runs written by an older version of the graph, with what to do."""
    named = ", ".join(runs) if runs else "(no runs)"
    return OutdatedGraphError(
        f"{store} holds runs written by an older version of relevance-explorer: {named}. The "
        f"graph has changed since (version {GRAPH_VERSION}: FLOW edges join per-class "
        "ClassNeuron nodes, and FLOW shares are signed), so they are not read. Re-ingest each "
        "run into a new store: run the same `relex ingest ... --run NAME` (or `relex demo`) "
        "with another --store / RELEX_STORE_PATH, or after moving the old store away"
    )


class GraphStore(ABC):
    """One graph store (embedded Kuzu family or Neo4j) behind one interface.

    Every write is an upsert keyed by the deterministic ids, so writing the same rows again
    leaves the graph as it was. Use it as a context manager, or call ``close()``.
    """

    dialect: ClassVar[str]

    def __init__(self, *, read_only: bool) -> None:
        self._read_only = read_only

    @property
    def read_only(self) -> bool:
        """True when this handle refuses writes."""
        return self._read_only

    def _check_writable(self, what: str) -> None:
        if self._read_only:
            raise ReadOnlyStoreError(f"cannot {what}: {self.describe()} was opened read-only")

    @abstractmethod
    def describe(self) -> str:
        """A short human name for the store, used in messages ("store /data/relex.kuzu")."""

    @abstractmethod
    def create_schema(self) -> None:
        """Create node tables / constraints and relationship tables / indexes; idempotent."""

    def write_nodes(self, rows: Sequence[NodeRow]) -> None:
        """Upsert nodes of any label, with their implied edges.

        LayerRows also write (Layer)-[:NEXT]->(Layer) from the layers each one names in ``lower``,
        else between consecutive indices of a model within the batch (so pass all of a model's
        layers together); NeuronRows write
        (Layer)-[:HAS]->(Neuron) and need their Layer in the store or in the same batch;
        RunRows write -[:OF]->(Model) and -[:ON]->(Dataset) and need both. A missing end
        raises NotFoundError before anything of that group is written.
        """
        self._check_writable("write nodes")
        for kind, group in group_nodes(rows):
            spec = NODE_WRITES[kind]
            for requirement in spec.requires:
                self._require(requirement, {ref for row in group for ref in requirement.refs(row)})
            self._write_node_group(spec, group)
            log.debug("wrote %d %s nodes to %s", len(group), kind.LABEL, self.describe())

    def _require(self, requirement: Requirement, wanted: set[str]) -> None:
        found = self.query_named(requirement.finder, {"ids": sorted(wanted)})
        missing = sorted(wanted - {row["id"] for row in found})
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise NotFoundError(
                f"{len(missing)} {requirement.label} node(s) missing from {self.describe()}: "
                f"{shown}; write them first (or earlier in the same write_nodes call)"
            )

    @abstractmethod
    def _write_node_group(self, spec: NodeWrite, rows: Sequence[NodeRow]) -> None:
        """Run ``spec.write`` over ``rows`` and then ``spec.link`` over their link records."""

    @abstractmethod
    def write_flows(self, flows: FlowBatch | Sequence[FlowRow]) -> None:
        """Upsert FLOW edges keyed by (run, class, upper, lower).

        Keys within one batch must be distinct. Every Neuron and Class must exist
        (NotFoundError, nothing written): an edge's ends are the ClassNeurons of its run and
        class, written with it. On Kuzu one large batch (up to about a million rows) is much faster
        than many small ones, and rewriting keys that already exist takes a slower path.
        """

    @abstractmethod
    def write_relevance(self, rows: Sequence[RelevanceRow]) -> None:
        """Upsert RELEVANT edges: ClassRelevanceRow keyed by (run, class, neuron),
        ImageRelevanceRow keyed by (run, image, neuron). Both ends must exist."""

    @abstractmethod
    def delete_run_class(self, run: str, class_id: str) -> None:
        """Delete one class's FLOW and (Class)-[:RELEVANT]-> edges of one run, so a resumed
        job can write that class again from scratch."""

    @abstractmethod
    def delete_run(self, run: str) -> None:
        """Delete everything of one run: its FLOW and RELEVANT edges and its Run node."""

    @abstractmethod
    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one Cypher statement with parameters; rows as dicts keyed by column name."""

    def read_only_query(
        self,
        cypher: str,
        params: Mapping[str, Any],
        *,
        timeout_s: float,
        max_rows: int,
    ) -> ReadOnlyRows:
        """Run one statement in a transaction the database itself keeps read-only, stopped after
        ``timeout_s`` seconds: its column names, at most ``max_rows`` rows, and whether rows were
        left out. The console (:mod:`queries.console`) screens the text before it gets here.
        Raises WriteRefusedError, CypherSyntaxError, QueryTimeoutError or QueryError; a store
        without such a transaction refuses with StoreError."""
        raise StoreError(f"the console cannot run on {self.describe()} ({type(self).__name__})")

    def counts(self) -> Counts:
        """Nodes by label and relationships by type."""
        nodes = {row["label"]: row["n"] for row in self.query_named("count_nodes")}
        rels = {row["type"]: row["n"] for row in self.query_named("count_relationships")}
        return Counts.from_rows(nodes, rels)

    @abstractmethod
    def close(self) -> None:
        """Release the store (and, for the embedded one, its lock); safe to call twice."""

    def query_named(
        self, name: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run catalogue query ``name`` in this store's dialect."""
        return self.query(catalogue.load(name, self.dialect), params)

    def get_run(self, run_id: str) -> RunRow:
        """The stored Run ``run_id``; NotFoundError if there is none, OutdatedGraphError if it
        was written before the graph's current meaning."""
        found = self.query_named("get_run", {"id": run_id})
        if not found:
            raise NotFoundError(f"run {run_id!r} is not in {self.describe()}")
        run = RunRow(**found[0])
        if run.graph_version != GRAPH_VERSION:
            raise outdated_error(self.describe(), [run_id])
        return run

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""Classes the worker has finished but not yet stored, and when it stores them.

kuzu 0.11.3's COMMIT of a bulk load costs time in proportion to the rows the table already
holds, whatever the relationships (``python -m bench.commit_cost``: appending 13,400 rows to a
node table with one INT64 column commits in 0.060 s when it holds 200k rows, 0.24 s at 2M and
0.60 s at 8M, while the same append to an empty table beside it commits in 0.02-0.05 s). Each
class writes about seven transactions (ClassNeurons and FLOW, images, image and class RELEVANT,
critical paths, the Run marker), so a worker committing class by class spent 70% of a
500-class ingest of a small model committing and slowed from 3.3 to 2.2 classes a second over
its first 300 classes.

The worker therefore stores finished classes together: one write of each kind for the group,
and then the Run node, whose ``classes`` count stays the commit marker (a run killed before it
redoes the whole group). A group holds one class while the run has fewer than
:data:`CLASSES_PER_GROUP_SLOT` classes stored, and one more for each such step after, up to
:data:`MAX_GROUP` (the pending rows are a class's top-k edges, not its dense sums, so memory
stays bounded); and it is stored anyway once :data:`MAX_WAIT_S` have passed since the last
store, so that a kill loses at most about that much work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from relex.queries import (
    ClassRelevanceRow,
    CriticalPathRow,
    FlowBatch,
    GraphStore,
    ImageRelevanceRow,
    ImageRow,
    RunRow,
)

log = logging.getLogger(__name__)

CLASSES_PER_GROUP_SLOT = 25
"""Stored classes for each class a group holds (the commit cost grows with the stored rows)."""
MAX_GROUP = 8
"""The most finished classes held before they are stored."""
MAX_WAIT_S = 60.0
"""Finished classes are stored at the latest this long after the previous store."""


def group_size(stored: int) -> int:
    """How many finished classes to store together once ``stored`` classes are in the store."""
    return min(MAX_GROUP, max(1, stored // CLASSES_PER_GROUP_SLOT))


@dataclass(frozen=True)
class ClassWrite:
    """Everything one class of a run writes: its kept FLOW edges (None when it kept none),
    image nodes, image and class RELEVANT rows and critical paths."""

    class_id: str
    flows: FlowBatch | None
    images: list[ImageRow]
    image_relevance: list[ImageRelevanceRow]
    class_relevance: list[ClassRelevanceRow]
    paths: list[CriticalPathRow]


def store_classes(store: GraphStore, run: str, writes: Sequence[ClassWrite]) -> None:
    """Replace the run's part of each of these classes with their rows, one write a kind."""
    for write in writes:
        store.delete_run_class(run, write.class_id)
    batches = [write.flows for write in writes if write.flows is not None]
    if batches:
        store.write_flows(FlowBatch.concat(batches))
    store.write_nodes([image for write in writes for image in write.images])
    store.write_relevance([row for write in writes for row in write.image_relevance])
    store.write_relevance([row for write in writes for row in write.class_relevance])
    store.write_nodes([path for write in writes for path in write.paths])


@dataclass
class PendingClasses:
    """The finished classes of a run not yet stored, with the Run row that counts them.

    ``store`` is None on a rank that does not write: its groups are then only reported.
    ``on_stored`` hears each Run row written."""

    store: GraphStore | None
    on_stored: Callable[[RunRow], None]
    total: int
    clock: Callable[[], float] = time.monotonic
    _writes: list[ClassWrite] = field(default_factory=list, init=False)
    _classes: list[int] = field(default_factory=list, init=False)
    _run: RunRow | None = field(default=None, init=False)
    _last_store: float = field(init=False)

    def __post_init__(self) -> None:
        self._last_store = self.clock()

    def add(self, write: ClassWrite | None, run: RunRow, class_index: int) -> None:
        """Hold the rows of dataset class ``class_index`` (None: it wrote nothing), with
        ``run`` counting it, and store what is held once that is due."""
        if write is not None:
            self._writes.append(write)
        self._classes.append(class_index)
        self._run = run
        stored = run.classes - len(self._classes)
        waited = self.clock() - self._last_store
        if len(self._classes) >= group_size(stored) or waited >= MAX_WAIT_S:
            self.flush()

    def flush(self) -> None:
        """Store what is held, then the Run row; nothing is held after, even if a write
        fails (the stored Run row then still counts only the classes stored before)."""
        run, writes, classes = self._run, self._writes, self._classes
        self._run, self._writes, self._classes = None, [], []
        if run is None:
            return
        if self.store is not None:
            store_classes(self.store, run.id, writes)
            self.store.write_nodes([run])
        self._last_store = self.clock()
        first = run.classes - len(classes) + 1
        for position, class_index in enumerate(classes, start=first):
            log.info("class %d/%d done (%s)", position, self.total, class_index)
        self.on_stored(run)

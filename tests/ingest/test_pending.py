"""Finished classes stored together (``ingest.pending``): on the real embedded store a run whose
classes are stored as one group ends with the graph of a run stored class by class, the Run row
is written once a group, and a cancel stores the classes finished before it."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from relex.ingest import pending, worker
from relex.ingest.pending import MAX_GROUP, MAX_WAIT_S, PendingClasses, group_size
from relex.ingest.worker import IngestCancelledError, ingest
from relex.queries import RunRow, StoreSettings, open_store
from tests.helpers import shapes_checkpoint, small_run_options
from tests.ingest.test_worker import dump


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes_checkpoint(tmp_path_factory.mktemp("weights") / "shapes.pt")


@pytest.fixture(scope="module")
def class_by_class(checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three classes stored one at a time (the schedule below 25 stored classes)."""
    path = tmp_path_factory.mktemp("single") / "g.kuzu"
    heard: list[RunRow] = []
    with open_store(StoreSettings(path=path)) as store:
        ingest(options(checkpoint), store, progress=False, on_progress=heard.append)
    assert [row.classes for row in heard] == [0, 1, 2, 3, 3]
    return path


def options(checkpoint: Path) -> Any:
    return small_run_options(checkpoint, classes=(0, 1, 2), limit=3)


def test_the_group_grows_with_the_stored_classes_up_to_its_cap() -> None:
    assert [group_size(n) for n in (0, 24, 25, 49, 50, 100, 10_000)] == [1, 1, 1, 1, 2, 4, 8]


def test_classes_stored_as_one_group_give_the_class_by_class_graph(
    checkpoint: Path, class_by_class: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pending, "group_size", lambda stored: 3)
    heard: list[RunRow] = []
    grouped = tmp_path / "grouped.kuzu"
    with open_store(StoreSettings(path=grouped)) as store:
        ingest(options(checkpoint), store, progress=False, on_progress=heard.append)
    assert [(row.status, row.classes) for row in heard] == [
        ("running", 0),
        ("running", 3),
        ("done", 3),
    ]
    assert dump(grouped) == dump(class_by_class)


def test_a_cancel_stores_the_finished_classes_and_the_rerun_completes_them(
    checkpoint: Path, class_by_class: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pending, "group_size", lambda stored: MAX_GROUP)
    cancel = threading.Event()
    explain = worker._explain_class
    explained: list[int] = []

    def explain_then_cancel_after_two(*args: Any) -> Any:
        result = explain(*args)
        explained.append(args[2])
        if len(explained) == 2:
            cancel.set()
        return result

    monkeypatch.setattr(worker, "_explain_class", explain_then_cancel_after_two)
    cut = tmp_path / "cut.kuzu"
    with open_store(StoreSettings(path=cut)) as store:
        with pytest.raises(IngestCancelledError):
            ingest(options(checkpoint), store, progress=False, cancel=cancel)
        stopped = store.get_run("r1")
        assert (stopped.status, stopped.classes) == ("running", 1)
        cancel.clear()
        resumed = ingest(options(checkpoint), store, progress=False, cancel=cancel)
    assert (resumed.status, resumed.classes) == ("done", 3)
    assert dump(cut) == dump(class_by_class)


def test_held_classes_are_stored_when_the_group_fills_or_the_wait_passes() -> None:
    now = [0.0]
    heard: list[int] = []
    held = PendingClasses(None, lambda run: heard.append(run.classes), 100, lambda: now[0])
    run = RunRow(id="r", name="r", model="m", dataset="d", method="x", params="{}")
    held.add(None, dataclasses.replace(run, classes=51), 50)  # 50 stored: groups of 2
    assert heard == []
    held.add(None, dataclasses.replace(run, classes=52), 51)
    assert heard == [52]
    now[0] += MAX_WAIT_S
    held.add(None, dataclasses.replace(run, classes=53), 52)
    assert heard == [52, 53]

"""The worker's progress callback and cancel event, on the real embedded store: the callback
hears each Run row the store then holds, and a cancel stops the run between classes so that
running it again finishes it with the graph an uncancelled run writes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from relex.ingest.worker import IngestCancelledError, ingest
from relex.queries import RunRow, StoreSettings, open_store
from tests.helpers import shapes_checkpoint, small_run_options
from tests.ingest.test_worker import dump


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes_checkpoint(tmp_path_factory.mktemp("weights") / "shapes.pt")


def test_progress_hears_every_run_row_written(checkpoint: Path, tmp_path: Path) -> None:
    heard: list[RunRow] = []
    with open_store(StoreSettings(path=tmp_path / "g.kuzu")) as store:
        options = small_run_options(checkpoint, classes=(0, 2), limit=3)
        finished = ingest(options, store, progress=False, on_progress=heard.append)
        stored = store.get_run(finished.id)
    assert [(row.status, row.classes) for row in heard] == [
        ("running", 0),
        ("running", 1),
        ("running", 2),
        ("done", 2),
    ]
    assert heard[-1] == finished == stored


def test_a_cancelled_run_stops_between_classes_and_resumes(
    checkpoint: Path, tmp_path: Path
) -> None:
    options = small_run_options(checkpoint, classes=(0, 1, 2), limit=3)
    cancel = threading.Event()

    def cancel_after_first_class(run: RunRow) -> None:
        if run.classes == 1:
            cancel.set()

    cut = tmp_path / "cut.kuzu"
    with open_store(StoreSettings(path=cut)) as store:
        with pytest.raises(IngestCancelledError, match="cancelled"):
            ingest(
                options, store, progress=False, on_progress=cancel_after_first_class, cancel=cancel
            )
        stopped = store.get_run(options.run)
        assert (stopped.status, stopped.classes) == ("running", 1)
        resumed = ingest(options, store, progress=False)
    whole = tmp_path / "whole.kuzu"
    with open_store(StoreSettings(path=whole)) as store:
        uncut = ingest(options, store, progress=False)
    assert (resumed.status, resumed.classes, resumed.images) == ("done", 3, uncut.images)
    assert dump(cut) == dump(whole)

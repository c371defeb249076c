"""``relex ingest`` on bad input: unreadable images skipped and counted wherever they sort, and
a failed run leaves no store it created behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from relex.ingest.worker import ingest
from relex.queries import StoreSettings, open_store
from tests.helpers import SHAPES_DATASET, shapes_checkpoint, small_run_options
from tests.image_files import claimed_png

RELEX = [sys.executable, "-m", "relex"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes_checkpoint(tmp_path_factory.mktemp("weights") / "shapes.pt")


def relex_ingest(
    dataset: str, store: Path, checkpoint: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RELEX, "ingest", "--dataset", dataset, "--run", "r", "--model", "smallcnn64",
         "--weights", str(checkpoint), "--device", "cpu", "--top-k", "2", "--batch-size", "4",
         "--store", str(store), *extra],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_unreadable_images_first_in_sort_order_are_skipped_and_counted(
    checkpoint: Path, tmp_path: Path
) -> None:
    """The first image of the folder is corrupt and the second a decompression bomb: both are
    skipped and counted like the one further on (the run used to abort on the first)."""
    rng = np.random.default_rng(0)
    root = tmp_path / "folder"
    for name in ("checker", "disk"):
        (root / name).mkdir(parents=True)
        for k in range(3):
            pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    (root / "checker" / "0-broken.png").write_bytes(b"not a png")
    (root / "checker" / "0-bomb.png").write_bytes(claimed_png(50_000, 50_000))
    (root / "disk" / "9-broken.png").write_bytes(b"not a png either")
    done = relex_ingest(f"imagefolder:{root}", tmp_path / "g.kuzu", checkpoint)
    assert done.returncode == 0, done.stderr
    assert "6 images in 2 classes" in done.stdout and "3 unreadable images skipped" in done.stdout
    with open_store(StoreSettings(path=tmp_path / "g.kuzu"), read_only=True) as store:
        run = store.get_run("r")
    assert run.skipped == 3 and run.images == 6


@pytest.mark.parametrize(
    ("dataset", "extra", "expected"),
    [
        ("imagefolder:/does/not/exist", (), "does not exist"),
        (SHAPES_DATASET, ("--classes", "0,99"), "classes [99] have no images"),
    ],
)
def test_a_failed_ingest_leaves_no_store_it_created(
    dataset: str, extra: tuple[str, ...], expected: str, checkpoint: Path, tmp_path: Path
) -> None:
    """Whether it fails before the store is touched or after the Run was written but before
    any class was committed, the store files (and the folders made for them) are removed."""
    (tmp_path / "unrelated.kuzu.txt").write_text("kept")
    store = tmp_path / "new" / "deeper" / "g.kuzu"
    done = relex_ingest(dataset, store, checkpoint, *extra)
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "new").exists()
    assert [path.name for path in tmp_path.iterdir()] == ["unrelated.kuzu.txt"]


def test_a_failed_ingest_keeps_a_store_that_existed(checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "g.kuzu"
    with open_store(StoreSettings(path=path)) as store:
        store.create_schema()
    done = relex_ingest("imagefolder:/does/not/exist", path, checkpoint)
    assert done.returncode == 2 and path.exists()
    with open_store(StoreSettings(path=path), read_only=True) as store:
        assert not any(store.counts().nodes.values())


def test_a_new_store_is_kept_once_the_run_committed_a_class(
    checkpoint: Path, tmp_path: Path
) -> None:
    from relex.ingest.new_store import removed_unless_committed  # here: the old code had none

    settings = StoreSettings(path=tmp_path / "g.kuzu")
    options = small_run_options(checkpoint, classes=(0,), limit=2)
    with (
        pytest.raises(RuntimeError, match="later failure"),
        removed_unless_committed(settings, options.run),
        open_store(settings) as store,
    ):
        ingest(options, store, progress=False)
        raise RuntimeError("later failure")
    with open_store(settings, read_only=True) as store:
        assert store.get_run(options.run).classes == 1


def test_a_class_whose_images_are_all_unreadable_is_skipped(
    checkpoint: Path, tmp_path: Path
) -> None:
    """Every image of one class is corrupt: the other classes are written, that class has no
    relevance and is named in a warning, and the run still finishes."""
    rng = np.random.default_rng(1)
    root = tmp_path / "folder"
    for name in ("checker", "disk"):
        (root / name).mkdir(parents=True)
    for k in range(3):
        pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "checker" / f"{k}.png")
        (root / "disk" / f"{k}.png").write_bytes(b"not a png")
    done = relex_ingest(f"imagefolder:{root}", tmp_path / "g.kuzu", checkpoint)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "none of its 3 images could be read" in done.stderr
    with open_store(StoreSettings(path=tmp_path / "g.kuzu"), read_only=True) as store:
        run = store.get_run("r")
        classes = store.query_named("run_classes", {"run": "r"})
    assert run.status == "done" and run.images == 3 and run.skipped == 3
    assert [row["name"] for row in classes] == ["checker"]


def test_paths_sets_how_many_critical_paths_are_stored(checkpoint: Path, tmp_path: Path) -> None:
    dataset = "synthetic:shapes-a?n=12&seed=4"
    done = relex_ingest(dataset, tmp_path / "g.kuzu", checkpoint, "--paths", "2", "--limit", "2")
    assert done.returncode == 0, done.stderr
    with open_store(StoreSettings(path=tmp_path / "g.kuzu"), read_only=True) as store:
        ranks = store.query(
            "MATCH (p:CriticalPath) RETURN p.class AS cls, p.sign AS sign, p.rank AS rank"
        )
    assert ranks and {row["rank"] for row in ranks} <= {1, 2}
    refused = relex_ingest(dataset, tmp_path / "h.kuzu", checkpoint, "--paths", "0")
    assert refused.returncode == 2 and "--paths must be at least 1" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "h.kuzu").exists()

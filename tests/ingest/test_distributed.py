"""Ingest on several gloo ranks against the one-process ingest of the same run: the same graph
(every FLOW edge within 1e-5 relative, RELEVANT edges and Run counts equal), launched by torchrun
and by ``--nproc``; a rank killed with SIGKILL mid-run, then a rerun, gives the same graph; bad
configurations are clear errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch.utils.data import DistributedSampler

from relex.ingest.distributed import Ranks
from relex.ingest.worker import ingest
from relex.queries import RunRow
from tests.helpers import free_port, shapes_checkpoint, small_run_options
from tests.ingest.test_worker import dump, store_at

DATASET = "synthetic:shapes-a?n=12&seed=3"
"""Two images of each of the six classes: one per rank of two, none for a third rank."""

CLI = [sys.executable, "-m", "relex.cli"]
TORCHRUN = str(Path(sys.executable).parent / "torchrun")

Graph = dict[str, list[tuple[object, ...]]]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes_checkpoint(tmp_path_factory.mktemp("weights") / "shapes.pt")


def arguments(
    checkpoint: Path, store: Path, *extra: str, dataset: str = DATASET, device: str = "cpu"
) -> list[str]:
    return [
        "--verbose", "ingest", "--dataset", dataset, "--run", "r1", "--model", "smallcnn64",
        "--weights", str(checkpoint), "--top-k", "3", "--batch-size", "1", "--device", device,
        "--store", str(store), *extra,
    ]  # fmt: skip


@pytest.fixture(autouse=True)
def one_thread_a_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rank computes on one CPU thread, as torchrun sets it up by default."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def one_process(checkpoint: Path, folder: Path, **options: object) -> tuple[Graph, RunRow]:
    """The graph and Run of the one-process ingest of the run.

    It explains one image a batch (``--batch-size 1``) on one thread, as the ranks do: the
    CPU's float32 kernels depend on the batch size and on the threads (on an AMD EPYC, batches
    of 2 against 1 changed flows by up to 13% of their layer's largest through LRP's divisions;
    2 threads against 1 by up to 9.5e-7 relative), and what is compared here is the
    distribution: the shards, the float64 reduction and the one writer."""
    path = folder / "one.kuzu"
    options = {"batch_size": 1, **options}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with store_at(path) as store:
            run = ingest(small_run_options(checkpoint, **options), store, progress=False)
    finally:
        torch.set_num_threads(threads)
    return dump(path), run


def assert_same_graph(got: Graph, expected: Graph) -> None:
    """The same nodes, FLOW and RELEVANT edges, relevance ranks and stored paths: each FLOW
    edge's relevance and share within 1e-5 relative, each RELEVANT edge's relevance and each
    path's score (a sum of ``-ln share``) equal but for float64 rounding (1e-12 relative: the
    ranks add a class's images in another order)."""
    assert got.keys() == expected.keys()
    assert got["nodes"] == expected["nodes"]
    for name in ("flows", "relevant", "paths"):
        assert len(got[name]) == len(expected[name]), name
    for ours, theirs in zip(got["flows"], expected["flows"], strict=True):
        assert ours[:4] == theirs[:4]
        assert ours[4] == pytest.approx(theirs[4], rel=1e-5, abs=0), (ours, theirs)
        assert (ours[5] is None) == (theirs[5] is None), (ours, theirs)
        if theirs[5] is not None:
            assert ours[5] == pytest.approx(theirs[5], rel=1e-5, abs=0), (ours, theirs)
    for ours, theirs in zip(got["relevant"], expected["relevant"], strict=True):
        assert (ours[:3], ours[4]) == (theirs[:3], theirs[4])
        assert ours[3] == pytest.approx(theirs[3], rel=1e-12, abs=0), (ours, theirs)
    for ours, theirs in zip(got["paths"], expected["paths"], strict=True):
        assert (ours[:3], ours[4:]) == (theirs[:3], theirs[4:])
        assert ours[3] == pytest.approx(theirs[3], rel=1e-12, abs=0), (ours, theirs)


def run_counts(path: Path) -> tuple[object, ...]:
    with store_at(path, read_only=True) as store:
        run = store.get_run("r1")
    return (run.status, run.classes, run.images, run.flows, run.skipped, run.accuracy)


def counts_of(run: RunRow) -> tuple[object, ...]:
    return (run.status, run.classes, run.images, run.flows, run.skipped, run.accuracy)


def test_the_shards_cover_every_image_once_where_distributed_sampler_pads() -> None:
    for images, world in ((12, 2), (13, 3), (5, 4)):
        indices = list(range(100, 100 + images))
        shards = [Ranks(rank, world).shard(indices) for rank in range(world)]
        assert sorted(i for shard in shards for i in shard) == indices
        sampled: list[list[int]] = [
            list(DistributedSampler(indices, num_replicas=world, rank=rank, shuffle=False))  # type: ignore[arg-type]
            for rank in range(world)
        ]
        padded = sum(len(part) for part in sampled) - images
        assert padded == (-images) % world, "DistributedSampler evens shards out by repeating"


def test_two_gloo_ranks_under_torchrun_write_the_one_process_graph(
    checkpoint: Path, tmp_path: Path
) -> None:
    expected, run = one_process(checkpoint, tmp_path, dataset=DATASET)
    path = tmp_path / "two.kuzu"
    done = subprocess.run(
        [TORCHRUN, "--standalone", "--nproc-per-node", "2", "--no-python", "--", *CLI,
         *arguments(checkpoint, path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same_graph(dump(path), expected)
    assert run_counts(path) == counts_of(run)


def unreadable_folder(root: Path) -> Path:
    """Three classes the small model knows, with random images and one file that is no image."""
    generator = torch.Generator().manual_seed(0)
    for name in ("disk", "square", "cross"):
        (root / name).mkdir(parents=True)
        for k in range(3):
            pixels = torch.randint(0, 255, (64, 64, 3), generator=generator, dtype=torch.uint8)
            Image.fromarray(pixels.numpy()).save(root / name / f"{k}.png")
    (root / "square" / "broken.png").write_bytes(b"not a png")
    return root


def test_three_ranks_with_an_idle_rank_and_an_unreadable_image_by_nproc(
    checkpoint: Path, tmp_path: Path
) -> None:
    """Three images per class over three ranks, one unreadable: in that class a rank explains
    nothing, and the Run counts the unreadable image once, whichever rank met it."""
    dataset = f"imagefolder:{unreadable_folder(tmp_path / 'folder')}"
    expected, run = one_process(checkpoint, tmp_path, dataset=dataset)
    assert run.skipped == 1
    path = tmp_path / "three.kuzu"
    done = subprocess.run(
        [*CLI, *arguments(checkpoint, path, "--nproc", "3", dataset=dataset)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same_graph(dump(path), expected)
    assert run_counts(path) == counts_of(run)
    assert "1 unreadable images skipped" in done.stdout


@pytest.mark.parametrize("killed", [0, 1])
def test_sigkill_of_a_rank_mid_run_then_a_rerun_gives_the_uninterrupted_graph(
    checkpoint: Path, tmp_path: Path, killed: int
) -> None:
    expected, run = one_process(checkpoint, tmp_path, dataset=DATASET)
    path = tmp_path / "killed.kuzu"
    command = [*CLI, *arguments(checkpoint, path, "--nproc", "2")]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    pids: dict[int, int] = {}
    deadline = time.monotonic() + 300
    for line in process.stderr:
        started = re.search(r"rank (\d) of 2 started as PID (\d+)", line)
        if started:
            pids[int(started[1])] = int(started[2])
        if "class 2/6 done" in line or time.monotonic() > deadline:
            break
    os.kill(pids[killed], signal.SIGKILL)
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 2
    assert f"rank {killed} (PID {pids[killed]}) was killed by signal 9" in rest
    assert "Traceback" not in rest
    assert run_counts(path)[0] == "running"
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert re.search(r"resuming run r1 after [12] classes", resumed.stderr)
    assert_same_graph(dump(path), expected)
    assert run_counts(path) == counts_of(run)


def test_more_ranks_than_images_is_refused_and_leaves_no_store(
    checkpoint: Path, tmp_path: Path
) -> None:
    path = tmp_path / "g.kuzu"
    done = subprocess.run(
        [*CLI, *arguments(checkpoint, path, "--nproc", "3", "--classes", "0", "--limit", "2")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 2
    assert "3 ranks for 2 images: use at most 2 ranks" in done.stderr
    assert "Traceback" not in done.stderr
    assert not path.exists()


def ranks_by_hand(commands: Sequence[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run ``commands`` as ranks 0, 1, ... of one job, set up the way torchrun sets them up."""
    port = str(free_port())
    processes = [
        subprocess.Popen(
            command,
            env={
                **os.environ,
                "RANK": str(rank),
                "LOCAL_RANK": str(rank),
                "WORLD_SIZE": str(len(commands)),
                "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": port,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank, command in enumerate(commands)
    ]
    results = []
    for command, process in zip(commands, processes, strict=True):
        out, err = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def test_ranks_given_different_options_are_refused(checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "g.kuzu"
    first = [*CLI, *arguments(checkpoint, path)]
    second = [*CLI, *arguments(checkpoint, path, "--paths", "2")]
    results = ranks_by_hand([first, second])
    for result in results:
        assert result.returncode == 2
        assert "the ranks were given different options" in result.stderr
        assert "Traceback" not in result.stderr
    assert not path.exists()


def test_a_rank_that_cannot_reach_the_others_says_so(checkpoint: Path, tmp_path: Path) -> None:
    """Rank 1 of 2 alone: nobody listens at MASTER_ADDR:MASTER_PORT."""
    env = {
        **os.environ,
        "RANK": "1",
        "LOCAL_RANK": "1",
        "WORLD_SIZE": "2",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(free_port()),
        "RELEX_DIST_TIMEOUT": "2",
    }
    command = [*CLI, *arguments(checkpoint, tmp_path / "g.kuzu")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert "rank 1 of 2 could not reach the others at 127.0.0.1:" in done.stderr
    assert "within 2 s" in done.stderr
    assert "Traceback" not in done.stderr and "frame #" not in done.stderr


def test_nproc_under_torchrun_is_refused(checkpoint: Path, tmp_path: Path) -> None:
    env = {**os.environ, "RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0"}
    done = subprocess.run(
        [*CLI, *arguments(checkpoint, tmp_path / "g.kuzu", "--nproc", "2")],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 2
    assert "under torchrun give it --nproc-per-node" in done.stderr

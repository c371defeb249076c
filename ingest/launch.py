"""Start the ranks of a distributed ingest: ``--nproc N`` processes here, or this process as
one rank that ``torchrun`` started (:mod:`ingest.distributed`)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue

from relex.ingest.distributed import Ranks, environment_ranks, joined
from relex.ingest.errors import RelexError
from relex.ingest.new_store import removed_unless_committed
from relex.ingest.worker import IngestOptions, ingest
from relex.queries import RunRow, StoreSettings, open_store
from relex.queries.errors import UserError

log = logging.getLogger(__name__)

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def ingest_on_ranks(
    options: IngestOptions, settings: StoreSettings, nproc: int, *, progress: bool = True
) -> RunRow | None:
    """Ingest on ``nproc`` ranks started here, or as the rank ``torchrun`` made this process.

    Returns the finished Run on rank 0 (and here, for ``--nproc``); None on the other ranks."""
    if nproc < 1:
        raise RelexError(f"--nproc must be at least 1, not {nproc}")
    ranks = environment_ranks()
    if ranks is not None:
        if nproc > 1:
            raise RelexError(
                "--nproc starts ranks on one machine; under torchrun give it --nproc-per-node"
            )
        return run_rank(options, settings, ranks, progress=progress)
    if nproc == 1:
        return run_rank(options, settings, Ranks(), progress=progress)
    return _spawn(options, settings, nproc)


def run_rank(
    options: IngestOptions, settings: StoreSettings, ranks: Ranks, *, progress: bool
) -> RunRow | None:
    """This process's part of the run: rank 0 opens the store and writes, the others explain."""
    with joined(ranks, options.device):
        if not ranks.writes:
            ingest(options, None, progress=False, ranks=ranks)
            return None
        with removed_unless_committed(settings, options.run), open_store(settings) as graph:
            return ingest(options, graph, progress=progress, ranks=ranks)


def _spawn(options: IngestOptions, settings: StoreSettings, nproc: int) -> RunRow:
    """Start ``nproc`` ranks; when one fails, stop the others and say which failed and how."""
    context = multiprocessing.get_context("spawn")
    results: Queue[RunRow] = context.Queue()
    port = _free_port()
    level = logging.getLogger().getEffectiveLevel()
    processes = [
        context.Process(
            target=_rank_main,
            args=(options, settings, rank, nproc, port, level, results),
            name=f"rank {rank}",
        )
        for rank in range(nproc)
    ]
    for rank, process in enumerate(processes):
        process.start()
        log.info("rank %d of %d started as PID %d", rank, nproc, process.pid)
    try:
        failed = _wait(processes)
    except KeyboardInterrupt:
        _stop(processes)
        raise
    if failed is not None:
        _stop(processes)
        code = failed.exitcode or 0
        how = f"was killed by signal {-code}" if code < 0 else f"failed (exit status {code})"
        raise RelexError(
            f"{failed.name} (PID {failed.pid}) {how}; the other ranks were stopped. "
            "Run the same command again to resume."
        )
    return results.get(timeout=60)


def _wait(processes: Sequence[BaseProcess]) -> BaseProcess | None:
    """Wait for every rank; the first one that exits unsuccessfully (one killed by a signal
    before one that failed on its own, which may only have lost the killed one), or None."""
    while True:
        failed = [p for p in processes if p.exitcode is not None and p.exitcode != 0]
        if failed:
            return min(failed, key=lambda process: (process.exitcode or 0) >= 0)
        if all(process.exitcode == 0 for process in processes):
            return None
        time.sleep(0.1)


def _stop(processes: Sequence[BaseProcess]) -> None:
    for process in processes:
        if process.exitcode is None and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        process.join(10)
        if process.exitcode is None and process.pid is not None:
            os.kill(process.pid, signal.SIGKILL)
            process.join()


def _rank_main(
    options: IngestOptions,
    settings: StoreSettings,
    rank: int,
    world: int,
    port: int,
    level: int,
    results: Queue[RunRow],
) -> None:
    """A rank ``--nproc`` started: the environment ``torchrun`` would give it, then its part."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    try:
        finished = run_rank(options, settings, Ranks(rank, world, rank), progress=rank == 0)
    except UserError as error:
        log.error("rank %d: %s", rank, error)
        sys.exit(2)
    if finished is not None:
        results.put(finished)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

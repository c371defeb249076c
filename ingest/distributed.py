"""Ingest across processes on ``torch.distributed``: each rank explains a shard, rank 0 writes.

A run of N ranks (``relex ingest --nproc N`` on one machine, or ``relex ingest`` under
``torchrun``, which sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
``MASTER_PORT``) goes class by class like one process. Every rank explains the images
``indices[rank::N]`` of the class (a shard by index, no padding duplicates: unlike
``DistributedSampler`` no image is explained twice), then the per-class neuron and flow sums are
reduced in float64 (NCCL on CUDA, gloo on CPU), the per-image rows and the counts of correct and
unreadable images are gathered, and rank 0 alone writes the class and commits it on the Run.
Resuming is the one-process resume: rank 0 reads the Run and tells the others where to start.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
import torch.distributed as dist

from relex.ingest.aggregate import ClassSums
from relex.ingest.errors import RelexError
from relex.ingest.lrp.network import Network

log = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT_VARIABLE = "RELEX_DIST_TIMEOUT"
"""Seconds a rank waits for the others (to join, or at a collective); default 300."""


@dataclass(frozen=True)
class Ranks:
    """This process's place among the ranks of a run; one rank of one by default."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def writes(self) -> bool:
        """Whether this rank writes to the store (rank 0 alone)."""
        return self.rank == 0

    @property
    def joined(self) -> bool:
        return self.world > 1

    def shard(self, indices: Sequence[int]) -> list[int]:
        """This rank's images of ``indices``: every ``world``-th from position ``rank``."""
        return list(indices[self.rank :: self.world])

    def from_writer(self, compute: Callable[[], T]) -> T:
        """``compute()`` on rank 0, its result (or its RelexError) handed to every rank."""
        if not self.joined:
            return compute()
        box: list[tuple[T | None, str | None] | None] = [None]
        if self.writes:
            try:
                box[0] = (compute(), None)
            except RelexError as error:
                box[0] = (None, str(error))
        dist.broadcast_object_list(box, src=0)
        assert box[0] is not None
        value, error_message = box[0]
        if error_message is not None:
            raise RelexError(error_message)
        return value  # type: ignore[return-value]

    def check_same(self, what: str, value: object) -> None:
        """RelexError on every rank unless every rank passes the same ``value``."""
        if not self.joined:
            return
        values: list[object] = [None] * self.world
        dist.all_gather_object(values, value)
        differing = [rank for rank, other in enumerate(values) if other != values[0]]
        if differing:
            raise RelexError(
                f"the ranks were given different {what}: rank 0 has {values[0]}, "
                + ", ".join(f"rank {rank} has {values[rank]}" for rank in differing)
            )

    def check_images(self, images: int) -> None:
        """More ranks than images to explain leave a rank idle for the whole run: refused."""
        if images < self.world:
            raise RelexError(
                f"{self.world} ranks for {images} images: use at most {images} ranks (--nproc)"
            )

    def merge_groups(self, groups: dict[int, list[int]]) -> dict[int, list[int]]:
        """Every rank's class groups merged, each class's indices ascending."""
        if not self.joined:
            return groups
        gathered: list[dict[int, list[int]] | None] = [None] * self.world
        dist.all_gather_object(gathered, groups)
        merged: dict[int, list[int]] = {}
        for part in gathered:
            for label, indices in (part or {}).items():
                merged.setdefault(label, []).extend(indices)
        return {label: sorted(indices) for label, indices in merged.items()}

    def reduce_class(
        self,
        network: Network,
        device: torch.device,
        sums: ClassSums,
        counts: Sequence[int],
        rows: list[T],
    ) -> tuple[ClassSums, list[int], list[T]]:
        """Sum ``sums`` and ``counts`` over the ranks (float64, every rank gets the totals);
        ``rows`` of every rank gathered on rank 0 (other ranks get an empty list)."""
        if not self.joined:
            return sums, list(counts), rows
        neurons = {layer.name: layer.size for layer in network.layers}
        shapes: dict[str | tuple[str, str], tuple[int, ...]] = {
            name: (size,) for name, size in neurons.items()
        }
        shapes.update({pair: (neurons[pair[0]], neurons[pair[1]]) for pair in network.connections})
        parts: dict[str | tuple[str, str], np.ndarray] = {
            **{name: values for name, values in sums.neurons.items()},
            **{pair: values for pair, values in sums.flows.items()},
        }
        flat = torch.zeros(
            len(counts) + 1 + sum(int(np.prod(shape)) for shape in shapes.values()),
            dtype=torch.float64,
        )
        flat[0] = sums.images
        flat[1 : len(counts) + 1] = torch.tensor(counts, dtype=torch.float64)
        offset = len(counts) + 1
        for key, shape in shapes.items():
            size = int(np.prod(shape))
            if key in parts:
                flat[offset : offset + size] = torch.from_numpy(parts[key].reshape(-1))
            offset += size
        reduced = flat.to(device)
        dist.all_reduce(reduced)
        flat = reduced.cpu()
        total = ClassSums(images=int(flat[0]))
        offset = len(counts) + 1
        for key, shape in shapes.items():
            size = int(np.prod(shape))
            values = flat[offset : offset + size].numpy().reshape(shape).copy()
            offset += size
            if isinstance(key, str):
                total.neurons[key] = values
            else:
                total.flows[key] = values
        if not total.images:
            total = ClassSums()
        gathered: list[list[T] | None] | None = [None] * self.world if self.writes else None
        dist.gather_object(rows, gathered, dst=0)
        everyone = [row for part in gathered or [] for row in part or []]
        return total, [int(value) for value in flat[1 : len(counts) + 1]], everyone


ONE_RANK = Ranks()
"""A run in one process."""


def environment_ranks() -> Ranks | None:
    """The ranks ``torchrun`` (or ``--nproc``) describes in the environment; None without."""
    if "WORLD_SIZE" not in os.environ:
        return None
    try:
        world = int(os.environ["WORLD_SIZE"])
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise RelexError(
            "RANK, WORLD_SIZE and LOCAL_RANK must be integers, not "
            f"{os.environ.get('RANK')!r}, {os.environ.get('WORLD_SIZE')!r}, "
            f"{os.environ.get('LOCAL_RANK')!r}"
        ) from None
    if world < 1 or not 0 <= rank < world:
        raise RelexError(f"RANK {rank} is not a rank of WORLD_SIZE {world}")
    return Ranks(rank, world, local_rank)


def timeout_seconds() -> float:
    value = os.environ.get(TIMEOUT_VARIABLE, "300")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise RelexError(f"{TIMEOUT_VARIABLE} must be a positive number of seconds, not {value!r}")
    return seconds


@contextmanager
def joined(ranks: Ranks, device: str) -> Iterator[Ranks]:
    """Join the process group of ``ranks`` (NCCL for a CUDA run, gloo on CPU) for the block.

    A rank that cannot reach the others within ``$RELEX_DIST_TIMEOUT`` seconds, or loses them
    at a collective, raises RelexError."""
    if not ranks.joined:
        yield ranks
        return
    cuda = device != "cpu" and torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(ranks.local_rank % torch.cuda.device_count())
    seconds = timeout_seconds()
    host, port = os.environ.get("MASTER_ADDR", "?"), os.environ.get("MASTER_PORT", "?")
    address = f"{host}:{port}"
    try:
        if not ranks.writes:
            _reach(host, int(port), seconds)
        dist.init_process_group(
            "nccl" if cuda else "gloo",
            rank=ranks.rank,
            world_size=ranks.world,
            timeout=datetime.timedelta(seconds=seconds),
        )
    except (OSError, RuntimeError, ValueError) as error:
        raise RelexError(
            f"rank {ranks.rank} of {ranks.world} could not reach the others at {address} "
            f"within {seconds:g} s ({_first_line(error)})"
        ) from None
    try:
        yield ranks
    except RuntimeError as error:  # gloo and NCCL report a lost peer as RuntimeError
        raise RelexError(
            f"rank {ranks.rank} of {ranks.world} lost the other ranks: {_first_line(error)}"
        ) from None
    finally:
        dist.destroy_process_group()


def _reach(host: str, port: int, seconds: float) -> None:
    """Wait until rank 0's rendezvous at ``host:port`` takes connections: OSError after
    ``seconds`` (c10d itself would log every retry with a C++ stack)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

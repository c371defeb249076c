"""Helpers shared by the tests: seeded random models as the engine sees them, the makings of a
small real run, test modules run again in a child process on the ladybug engine, and a free
loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from relex.ingest.datasets import SHAPE_CLASSES
from relex.ingest.models import LoadedModel, load_model, save_checkpoint, small_cnn
from relex.ingest.worker import IngestOptions

SHAPES_DATASET = "synthetic:shapes-a?n=60&seed=3"


def randomised(name: str, *, bias_scale: float = 0.05, seed: int = 0) -> LoadedModel:
    """Model ``name`` with seeded random weights and non-zero biases (so bias handling is tested),
    ReLUs made out-of-place (captum's and zennit's hooks need that)."""
    loaded = load_model(name, "none", seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    for module in loaded.module.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False
        if isinstance(module, nn.Conv2d | nn.Linear) and module.bias is not None:
            with torch.no_grad():
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * bias_scale)
    return loaded


def zero_biases(loaded: LoadedModel) -> LoadedModel:
    for module in loaded.module.modules():
        if isinstance(module, nn.Conv2d | nn.Linear) and module.bias is not None:
            with torch.no_grad():
                module.bias.zero_()
    return loaded


def random_inputs(loaded: LoadedModel, batch: int = 2, seed: int = 7) -> torch.Tensor:
    """Fresh random (not zero) inputs in the model's normalised input space."""
    size = loaded.preprocessing.crop
    channels = loaded.preprocessing.channels
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, size, size, generator=generator)


def relative_error(ours: torch.Tensor, reference: torch.Tensor) -> float:
    return float((ours - reference).norm() / reference.norm())


def shapes_checkpoint(path: Path) -> Path:
    """Save at ``path`` a smallcnn64 with seeded random weights that knows the synthetic shape
    classes (the ingest worker does not care that it is untrained); return ``path``."""
    torch.manual_seed(0)
    module = small_cnn(3, 64, len(SHAPE_CLASSES))
    save_checkpoint(path, name="smallcnn64", module=module, class_names=tuple(SHAPE_CLASSES))
    return path


def small_run_options(checkpoint: Path, **overrides: object) -> IngestOptions:
    """Options of a small real run "r1": smallcnn64 from ``checkpoint`` on SHAPES_DATASET, top-3
    edges per neuron, batches of 4 on the CPU; ``overrides`` replace any field."""
    base: dict[str, object] = {
        "run": "r1",
        "dataset": SHAPES_DATASET,
        "model": "smallcnn64",
        "weights": str(checkpoint),
        "top_k": 3,
        "batch_size": 4,
        "device": "cpu",
    }
    return IngestOptions(**{**base, **overrides})  # type: ignore[arg-type]


ROOT = Path(__file__).resolve().parents[1]


def passes_on_ladybug(
    modules: Sequence[Path], report: Path, *, min_tests: int, timeout_s: float = 900
) -> None:
    """Run the test ``modules`` again in a child process with ``RELEX_STORE_ENGINE=ladybug``
    (kuzu and ladybug cannot share one process) and assert that at least ``min_tests`` ran and
    none failed; ``report`` is where the child writes its JUnit XML."""
    env = {**os.environ, "RELEX_STORE_ENGINE": "ladybug"}
    env.pop("NEO4J_URI", None)  # Neo4j is covered by the parent process's own run
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *map(str, modules),
            "-q",
            "-rxX",
            "-p",
            "no:cacheprovider",
            f"--confcutdir={modules[0].parent}",  # skip tests/conftest.py: it imports torch
            f"--junitxml={report}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout_s,
        check=False,
    )
    output = child.stdout[-6000:] + child.stderr[-2000:]
    assert child.returncode == 0, output
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None, output
    assert int(suite.get("tests", "0")) >= min_tests, output
    assert suite.get("failures") == "0" and suite.get("errors") == "0", output


def ctrl_c_as_from_a_terminal() -> None:
    """Give a child SIGINT's default action, as a terminal's Ctrl-C finds it (for
    ``preexec_fn``): a shell without job control starts background jobs with SIGINT ignored,
    children inherit that, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

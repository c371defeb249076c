"""``relex train`` trains the small CNN and writes a checkpoint ``load_model`` reads back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from relex.ingest.datasets import SHAPE_CLASSES
from relex.ingest.models import load_model

RELEX = [sys.executable, "-m", "relex"]


def test_train_writes_a_checkpoint_with_class_names(tmp_path: Path) -> None:
    out = tmp_path / "shapes.pt"
    done = subprocess.run(
        [
            *RELEX,
            "train",
            "--dataset",
            "synthetic:shapes-a?n=36",
            "--out",
            str(out),
            "--epochs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout
    loaded = load_model("smallcnn64", str(out))
    assert loaded.class_names == tuple(SHAPE_CLASSES)


def test_training_an_imagenet_model_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [*RELEX, "train", "--dataset", "synthetic:shapes-a?n=36", "--out", str(tmp_path),
         "--model", "vgg16"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr

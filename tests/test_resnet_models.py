"""ResNets as models: seeded random weights, torchvision's ImageNet files when on disk (either
version), fine-tuned checkpoints with other class counts, and ``relex explain`` on one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from relex.ingest.errors import RelexError
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_plus_flat
from relex.ingest.models import load_model, save_checkpoint

RELEX = [sys.executable, "-m", "relex"]


def fc_weight(module: torch.nn.Module) -> torch.Tensor:
    fc = module.get_submodule("fc")
    assert isinstance(fc, torch.nn.Linear)
    return fc.weight


def test_random_weights_are_seeded() -> None:
    first, second = load_model("resnet18", "none"), load_model("resnet18", "none")
    other = load_model("resnet18", "none", seed=1)
    assert first.num_classes == 1000 and first.class_names[0] == "tench"
    first_fc, second_fc, other_fc = (fc_weight(loaded.module) for loaded in (first, second, other))
    assert torch.equal(first_fc, second_fc)
    assert not torch.equal(first_fc, other_fc)


@pytest.mark.parametrize("wrapped", [True, False])
def test_fine_tuned_checkpoints_with_other_class_counts(tmp_path: Path, wrapped: bool) -> None:
    module = torchvision.models.resnet34(weights=None, num_classes=7)
    path = tmp_path / "tuned.pt"
    names = tuple(f"kind {i}" for i in range(7))
    if wrapped:
        save_checkpoint(path, name="resnet34", module=module, class_names=names)
    else:
        torch.save(module.state_dict(), path)
    loaded = load_model("resnet34", str(path))
    assert loaded.num_classes == 7
    assert loaded.class_names[0] == ("kind 0" if wrapped else "class_0")
    inputs = torch.randn(1, 3, 64, 64)
    result = LRP(loaded.module, epsilon_plus_flat()).attribute(inputs)
    assert result.logits.shape == (1, 7)
    with torch.no_grad():
        torch.testing.assert_close(result.logits, loaded.module(inputs), rtol=1e-4, atol=1e-4)


def test_imagenet_weights_are_read_from_either_torchvision_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(RelexError, match=r"Put resnet50-0676ba61.pth"):
        load_model("resnet50", "imagenet")
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.manual_seed(5)
    module = torchvision.models.resnet50(weights=None)
    torch.save(module.state_dict(), folder / "resnet50-11ad3fa6.pth")
    loaded = load_model("resnet50", "imagenet")
    assert loaded.weights == "imagenet" and loaded.preprocessing.size == 232
    assert torch.equal(fc_weight(loaded.module), module.fc.weight)


def test_explain_a_fine_tuned_resnet(tmp_path: Path) -> None:
    module = torchvision.models.resnet18(weights=None, num_classes=3)
    checkpoint = tmp_path / "tuned.pt"
    save_checkpoint(checkpoint, name="resnet18", module=module, class_names=("a", "b", "c"))
    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (240, 260, 3), dtype=np.uint8)).save(photo)
    done = subprocess.run(
        [*RELEX, "explain", str(photo), "--model", "resnet18", "--weights", str(checkpoint),
         "--method", "epsilon_plus_flat", "--target", "c", "--out", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report[0]["target"] == 2
    assert np.load(report[0]["npy"]).shape == (3, 224, 224)

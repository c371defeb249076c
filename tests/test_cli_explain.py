"""``relex explain`` end to end in a subprocess: files written, clear errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from relex.ingest.lrp import LRP, composite_by_name
from relex.ingest.models import load_model, save_checkpoint
from tests.image_files import claimed_png

RELEX = [sys.executable, "-m", "relex"]


def relex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RELEX, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (80, 96, 3), dtype=np.uint8)).save(path)
    return path


def test_explain_writes_heatmaps_equal_to_the_engine(photo: Path, tmp_path: Path) -> None:
    done = relex(
        "explain", str(photo), str(photo), "--model", "smallcnn64", "--weights", "none",
        "--method", "epsilon_plus_flat", "--target", "3", "--out", str(tmp_path), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [item["target"] for item in report] == [3, 3]
    assert report[1]["png"].endswith("photo-1.png")
    loaded = load_model("smallcnn64", "none")
    inputs = loaded.preprocessing(Image.open(photo))[None]
    low, high = loaded.preprocessing.bounds()
    expected = LRP(loaded.module, composite_by_name("epsilon_plus_flat", low=low, high=high))
    heatmap = expected.attribute(inputs, 3).heatmap[0].numpy()
    np.testing.assert_allclose(np.load(report[0]["npy"]), heatmap, rtol=1e-5, atol=1e-7)
    with Image.open(report[0]["png"]) as picture:
        assert picture.size == (64 * 2 + 4, 64)
    total = float(np.load(report[0]["npy"]).sum())
    assert report[0]["delta"] == pytest.approx(total - report[0]["logit"], rel=1e-4, abs=1e-6)


def test_text_output_names_class_and_delta(photo: Path, tmp_path: Path) -> None:
    done = relex(
        "explain", str(photo), "--model", "smallcnn28", "--weights", "none",
        "--method", "integrated_gradients", "--out", str(tmp_path), "--verbose",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "predicted class_" in done.stdout and "conservation delta" in done.stdout
    assert "grayscale; resize shorter side to 28" in done.stderr


def wrong_architecture_file(tmp_path: Path) -> Path:
    other = load_model("smallcnn28", "none")
    path = tmp_path / "small28.pt"
    save_checkpoint(path, name="smallcnn28", module=other.module, class_names=other.class_names)
    return path


def wrong_shapes_file(tmp_path: Path) -> Path:
    path = tmp_path / "state.pt"
    torch.save(load_model("smallcnn28", "none").module.state_dict(), path)
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "does not exist"),
        ("not_an_image", "is not a readable image"),
        ("target_out_of_range", "out of range"),
        ("unknown_target_name", "unknown target class"),
        ("unknown_method", "unknown method"),
        ("unknown_model", "unknown model"),
        ("weights_of_another_model", "is for model 'smallcnn28'"),
        ("weights_of_wrong_shapes", "does not fit model smallcnn64"),
        ("missing_weights_file", "does not exist"),
        ("imagenet_weights_absent", "Put vgg16-397923af.pth"),
    ],
)
def test_bad_input_is_a_clear_error(
    case: str, expected: str, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    options = {"--model": "smallcnn64", "--weights": "none", "--out": str(tmp_path / "out")}
    image = str(photo)
    if case == "missing":
        image = str(tmp_path / "absent.png")
    elif case == "not_an_image":
        image = str(text)
    elif case == "target_out_of_range":
        options["--target"] = "10"
    elif case == "unknown_target_name":
        options["--target"] = "zebra"
    elif case == "unknown_method":
        options["--method"] = "magic"
    elif case == "unknown_model":
        options["--model"] = "resnet9000"
    elif case == "weights_of_another_model":
        options["--weights"] = str(wrong_architecture_file(tmp_path))
    elif case == "weights_of_wrong_shapes":
        options["--weights"] = str(wrong_shapes_file(tmp_path))
    elif case == "missing_weights_file":
        options["--weights"] = str(tmp_path / "absent.pt")
    elif case == "imagenet_weights_absent":
        options.update({"--model": "vgg16", "--weights": "imagenet"})
    done = relex("explain", image, *[item for pair in options.items() for item in pair])
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


OPTIONS = ("--model", "smallcnn64", "--weights", "none", "--method", "epsilon_plus_flat")


@pytest.mark.parametrize(
    ("width", "claimed"), [(50_000, "2,500,000,000 pixels"), (13_000, "13000x13000")]
)
def test_a_decompression_bomb_is_one_error_line(width: int, claimed: str, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(claimed_png(width, width))
    done = relex("explain", str(bomb), *OPTIONS, "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {bomb} is too large: {done.stderr.split('too large: ')[1].strip()}"
    ]
    assert claimed in done.stderr and "limit of 40,000,000 pixels" in done.stderr
    assert not (tmp_path / "out").exists()


def test_every_good_file_is_explained_and_each_bad_one_reported(
    photo: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(claimed_png(50_000, 50_000))
    second = tmp_path / "second.png"
    second.write_bytes(photo.read_bytes())
    out = tmp_path / "out"
    done = relex(
        "explain", str(photo), str(bad), str(second), str(bomb), *OPTIONS, "--out", str(out),
        "--json", "--batch-size", "1",
    )  # fmt: skip
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert [item["image"] for item in report] == [str(photo), str(second)]
    assert sorted(path.name for path in out.iterdir()) == [
        "photo.npy", "photo.png", "second.npy", "second.png",
    ]  # fmt: skip
    np.testing.assert_array_equal(np.load(out / "photo.npy"), np.load(out / "second.npy"))
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "Traceback" not in done.stderr
    assert errors[0].startswith(f"error: {bad} is not a readable image")
    assert errors[1].startswith(f"error: {bomb} is too large")


def test_sixteen_bit_and_float_images_explain_as_their_eight_bit_values(tmp_path: Path) -> None:
    """A 16-bit PNG explains exactly like the 8-bit PNG of its values / 257, a float TIFF in
    [0, 1] like the 8-bit PNG of its values * 255 (before, one was clipped white, one black)."""
    rng = np.random.default_rng(3)
    wide = rng.integers(0, 65536, (70, 70)).astype(np.uint16)
    unit = rng.random((70, 70)).astype(np.float32)
    pairs = {
        "wide.png": (wide, np.rint(wide / 257).astype(np.uint8)),
        "unit.tif": (unit, np.rint(unit * 255).astype(np.uint8)),
    }
    files = []
    for name, (pixels, eight_bit) in pairs.items():
        Image.fromarray(pixels).save(tmp_path / name)
        Image.fromarray(eight_bit).save(tmp_path / f"{Path(name).stem}-8.png")
        files += [str(tmp_path / name), str(tmp_path / f"{Path(name).stem}-8.png")]
    out = tmp_path / "out"
    done = relex("explain", *files, *OPTIONS, "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    for stem in ("wide", "unit"):
        heatmap = np.load(out / f"{stem}.npy")
        assert np.abs(heatmap).sum() > 0
        np.testing.assert_array_equal(heatmap, np.load(out / f"{stem}-8.npy"))

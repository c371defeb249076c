"""One decoding for every path: the pixel limit before decoding, and 16-bit, 32-bit and float
images scaled to 8 bits as ``ingest.images`` documents, checked against plain numpy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from relex.ingest.datasets import ImageFolderDataset, UnreadableImageError
from relex.ingest.images import ImageTooLargeError, decode_image
from relex.ingest.models import architecture
from tests.image_files import blank_png, claimed_png

RNG = np.random.default_rng(5)
RAMP16 = np.linspace(0, 65535, 24 * 20).reshape(24, 20).astype(np.uint16)


def saved(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(pixels).save(path)
    return path


def test_sixteen_bit_pngs_and_tiffs_are_divided_by_257(tmp_path: Path) -> None:
    expected = np.rint(RAMP16.astype(np.float64) / 257).astype(np.uint8)
    for name in ("ramp.png", "ramp.tif"):
        image = decode_image(saved(tmp_path / name, RAMP16))
        assert image.mode == "L"
        np.testing.assert_array_equal(np.asarray(image), expected)
    big_endian = Image.frombytes("I;16B", (20, 24), RAMP16.astype(">u2").tobytes())
    big_endian.save(tmp_path / "big.tif")
    np.testing.assert_array_equal(np.asarray(decode_image(tmp_path / "big.tif")), expected)


def test_thirty_two_bit_integers_are_sixteen_bit_in_range_else_stretched(tmp_path: Path) -> None:
    in_range = RAMP16.astype(np.int32)
    image = decode_image(saved(tmp_path / "i32.tif", in_range))
    np.testing.assert_array_equal(np.asarray(image), np.rint(in_range / 257).astype(np.uint8))
    wide = RNG.integers(-100_000, 300_000, (16, 12)).astype(np.int32)
    image = decode_image(saved(tmp_path / "wide.tif", wide))
    stretched = (wide - wide.min()) * (255 / (wide.max() - wide.min()))
    np.testing.assert_array_equal(np.asarray(image), np.rint(stretched).astype(np.uint8))


def test_floats_in_unit_range_are_times_255_others_stretched(tmp_path: Path) -> None:
    unit = RNG.random((18, 14)).astype(np.float32)
    image = decode_image(saved(tmp_path / "unit.tif", unit))
    assert image.mode == "L"
    np.testing.assert_array_equal(np.asarray(image), np.rint(unit * 255).astype(np.uint8))
    wide = (RNG.random((18, 14)) * 10 - 3).astype(np.float32)
    wide[0, 0] = np.nan
    finite = wide[np.isfinite(wide)]
    stretched = (wide - finite.min()) * (255 / (finite.max() - finite.min()))
    expected = np.where(np.isfinite(wide), np.rint(stretched), 0).astype(np.uint8)
    image = decode_image(saved(tmp_path / "wide.tif", wide))
    np.testing.assert_array_equal(np.asarray(image), expected)
    flat = decode_image(saved(tmp_path / "flat.tif", np.full((4, 4), 7.5, dtype=np.float32)))
    assert not np.asarray(flat).any()


def test_eight_bit_images_are_returned_as_decoded(tmp_path: Path) -> None:
    colour = RNG.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    for name in ("c.png", "c.tif", "c.bmp"):
        image = decode_image(saved(tmp_path / name, colour))
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), colour)


def test_datasets_decode_as_the_function_does(tmp_path: Path) -> None:
    """Image folders (and so ingest and the API's renders, which read through them) see the
    pixels decode_image gives; a float TIFF in [0, 1] is no longer black."""
    unit = RNG.random((30, 30)).astype(np.float32)
    (tmp_path / "data" / "a").mkdir(parents=True)
    (tmp_path / "data" / "b").mkdir()
    saved(tmp_path / "data" / "a" / "float.tif", unit)
    saved(tmp_path / "data" / "b" / "ramp.png", RAMP16)
    dataset = ImageFolderDataset(tmp_path / "data")
    preprocessing = architecture("smallcnn64").preprocessing
    for index, name in enumerate(("a/float.tif", "b/ramp.png")):
        reference = decode_image(tmp_path / "data" / name)
        np.testing.assert_array_equal(np.asarray(dataset.image(index)), np.asarray(reference))
        assert dataset.tensor(index, preprocessing).equal(preprocessing(reference))
    np.testing.assert_array_equal(
        np.asarray(dataset.image(0)), np.rint(unit * 255).astype(np.uint8)
    )


@pytest.mark.parametrize(
    ("width", "height", "claimed"),
    [(50_000, 50_000, "2,500,000,000 pixels"), (13_000, 13_000, "13000x13000 = 169,000,000")],
)
def test_bombs_are_refused_before_decoding(
    width: int, height: int, claimed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(claimed_png(width, height))

    def never(self: Image.Image) -> None:
        raise AssertionError("decoded a bomb")

    monkeypatch.setattr(Image.Image, "load", never)
    with pytest.raises(ImageTooLargeError) as raised:
        decode_image(path)
    message = str(raised.value)
    assert str(path) in message and claimed in message and "40,000,000" in message
    assert isinstance(raised.value, UnreadableImageError)  # so datasets skip and count it
    with pytest.raises(ImageTooLargeError, match="the upload is too large"):
        decode_image(path.read_bytes(), name="the upload")


def test_a_blank_bomb_is_refused_within_a_small_memory_limit(tmp_path: Path) -> None:
    """In a child under a 300 MB address-space limit: decode_image refuses the 0.7 MB blank
    13000x13000 PNG, while decoding it plainly with Pillow runs out of memory."""
    path = tmp_path / "blank.png"
    path.write_bytes(blank_png(13_000, 13_000))
    child = f"""
import resource
resource.setrlimit(resource.RLIMIT_AS, (300 * 2**20, 300 * 2**20))
from pathlib import Path
from PIL import Image
from relex.ingest.images import ImageTooLargeError, decode_image
try:
    decode_image(Path({str(path)!r}))
except ImageTooLargeError:
    print("refused")
try:
    with Image.open({str(path)!r}) as image:
        image.load()
        image.convert("RGB")
except MemoryError:
    print("plain decoding ran out of memory")
"""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.stdout.split("\n")[:2] == ["refused", "plain decoding ran out of memory"], (
        done.stderr
    )


def test_unreadable_images_name_the_file_and_never_an_object_address(tmp_path: Path) -> None:
    with pytest.raises(UnreadableImageError, match="does not exist"):
        decode_image(tmp_path / "absent.png")
    with pytest.raises(UnreadableImageError, match="is not a file"):
        decode_image(tmp_path)
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(UnreadableImageError, match=r"notes\.png is not a readable image \(unknown"):
        decode_image(tmp_path / "notes.png")
    with pytest.raises(UnreadableImageError) as raised:
        decode_image(b"junk", name="the upload")
    assert "object at 0x" not in str(raised.value) and "the upload" in str(raised.value)
    truncated = (tmp_path / "ok.png", tmp_path / "cut.png")
    saved(truncated[0], RNG.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    truncated[1].write_bytes(truncated[0].read_bytes()[:200])
    with pytest.raises(UnreadableImageError, match=r"cut\.png is not a readable image"):
        decode_image(truncated[1])

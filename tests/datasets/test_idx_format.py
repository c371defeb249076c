"""The IDX reader and writer: round trips, byte order and malformed files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from relex.ingest.datasets.idx import read_idx, write_idx
from relex.ingest.errors import RelexError


@pytest.mark.parametrize("name", ["data-idx3-ubyte", "data-idx3-ubyte.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip(tmp_path: Path, name: str, dtype: type) -> None:
    array = (np.arange(2 * 3 * 4) * 7 % 120).reshape(2, 3, 4).astype(dtype)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, array)


def test_gzip_is_detected_by_content_and_values_are_big_endian(tmp_path: Path) -> None:
    raw = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x00, 0x01, 0x01, 0x00])
    (tmp_path / "plain").write_bytes(raw)
    (tmp_path / "packed").write_bytes(gzip.compress(raw))
    for name in ("plain", "packed"):
        assert read_idx(tmp_path / name).tolist() == [1, 256]
    write_idx(tmp_path / "written", np.array([1, 256], dtype=np.int16))
    assert (tmp_path / "written").read_bytes() == raw


def test_gz_files_are_compressed(tmp_path: Path) -> None:
    write_idx(tmp_path / "a.gz", np.zeros((100, 28, 28), dtype=np.uint8))
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a.gz").stat().st_size < 1000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "does not start with two zero bytes"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "does not start with two zero bytes"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "zero dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "header cut short"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05\x06", "need 3 bytes of data, the file has 2"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "need 1 bytes of data, the file has 2"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(RelexError, match=message) as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    packed = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]) * 50)
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(RelexError, match="damaged gzip"):
        read_idx(tmp_path / "cut.gz")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RelexError, match="cannot read"):
        read_idx(tmp_path / "absent")


def test_unsupported_arrays_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="IDX cannot hold"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint16))

"""The embedded store's buffer pool: bounded by RELEX_STORE_BUFFER_POOL_MB, a quarter of the
machine's memory (at most 4 GB) by default, as Kuzu itself reports it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from relex.queries.embedded import MAX_DEFAULT_POOL_MB, EmbeddedStore, default_buffer_pool_mb
from relex.queries.settings import SettingsError, StoreEnv, open_store
from tests.store.conftest import ENGINE


def pool_bytes(store: EmbeddedStore) -> int:
    """The buffer pool size the engine reports."""
    (row,) = store.query("CALL bm_info() RETURN *")
    return int(next(iter(row.values())))


def test_the_setting_reaches_the_engine(tmp_path: Path) -> None:
    environ = {
        "RELEX_STORE_PATH": str(tmp_path / "graph.kuzu"),
        "RELEX_STORE_ENGINE": ENGINE,
        "RELEX_STORE_BUFFER_POOL_MB": "96",
    }
    with open_store(StoreEnv.from_mapping(environ).store_settings()) as store:
        assert isinstance(store, EmbeddedStore) and store.buffer_pool_mb == 96
        assert pool_bytes(store) == 96 * 2**20


def test_the_default_is_a_bounded_share_of_the_machine(tmp_path: Path) -> None:
    total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    assert default_buffer_pool_mb() == max(64, min(MAX_DEFAULT_POOL_MB, total_mb // 4))
    with EmbeddedStore(tmp_path / "graph.kuzu", engine=ENGINE) as store:
        assert pool_bytes(store) == default_buffer_pool_mb() * 2**20
        assert pool_bytes(store) < total_mb * 2**20 * 0.8


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_a_bad_value_names_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="RELEX_STORE_BUFFER_POOL_MB: must be a positive"):
        StoreEnv.from_mapping({"RELEX_STORE_BUFFER_POOL_MB": value})

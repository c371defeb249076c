"""Every layer's settings: defaults, the environment, ``.env``, clear errors, and which layer owns
which variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from relex.api.settings import ApiSettings, Settings, get_settings
from relex.ingest.settings import IngestSettings
from relex.queries import StoreError, StoreSettings, open_store
from relex.queries.settings import SettingsError, StoreEnv

VARIABLES = (
    "RELEX_STORE_BACKEND",
    "RELEX_STORE_PATH",
    "RELEX_STORE_ENGINE",
    "NEO4J_URI",
    "NEO4J_USER",
    "NEO4J_PASSWORD",
    "NEO4J_DATABASE",
    "RELEX_NEO4J_BATCH_SIZE",
    "RELEX_API_HOST",
    "RELEX_API_PORT",
    "RELEX_API_TOKEN",
    "RELEX_DEVICE",
    "RELEX_DATA_DIR",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No relex variable set and an empty working directory (so no ``.env``)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()


def test_defaults_work_with_no_configuration() -> None:
    settings = Settings()
    assert settings.store_backend == "embedded"
    assert settings.store_path == Path("relex.kuzu")
    assert settings.store_engine == "kuzu"
    assert (settings.api_host, settings.api_port, settings.api_token) == ("127.0.0.1", 8000, None)
    assert (settings.device, settings.data_dir) == ("auto", Path("relex-data"))
    assert settings.neo4j_password is None
    assert settings.store_settings() == StoreSettings()


def test_the_environment_sets_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "RELEX_STORE_BACKEND": "neo4j",
        "RELEX_STORE_PATH": "/data/g.kuzu",
        "RELEX_STORE_ENGINE": "ladybug",
        "NEO4J_URI": "bolt://db:7687",
        "NEO4J_USER": "reader",
        "NEO4J_PASSWORD": "s3cret",
        "NEO4J_DATABASE": "graphs",
        "RELEX_NEO4J_BATCH_SIZE": "500",
        "RELEX_API_HOST": "0.0.0.0",
        "RELEX_API_PORT": "9000",
        "RELEX_API_TOKEN": "t0ken",
        "RELEX_DEVICE": "cuda:1",
        "RELEX_DATA_DIR": "/var/relex",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert (settings.api_host, settings.api_port, settings.device) == ("0.0.0.0", 9000, "cuda:1")
    assert settings.api_token is not None and settings.api_token.get_secret_value() == "t0ken"
    assert settings.data_dir == Path("/var/relex")
    assert settings.store_settings() == StoreSettings(
        backend="neo4j",
        path=Path("/data/g.kuzu"),
        engine="ladybug",
        neo4j_uri="bolt://db:7687",
        neo4j_user="reader",
        neo4j_password="s3cret",
        neo4j_database="graphs",
        neo4j_batch_size=500,
    )
    assert StoreSettings.from_env() == settings.store_settings()


def test_secrets_stay_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret")
    monkeypatch.setenv("RELEX_API_TOKEN", "t0ken")
    shown = repr(Settings())
    assert "s3cret" not in shown
    assert "t0ken" not in shown


def test_dotenv_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text(
        "RELEX_API_PORT=8123\nRELEX_STORE_PATH=from-dotenv.kuzu\nUNRELATED=1\n", encoding="utf-8"
    )
    assert Settings().api_port == 8123
    monkeypatch.setenv("RELEX_API_PORT", "8124")
    settings = Settings()
    assert (settings.api_port, settings.store_path) == (8124, Path("from-dotenv.kuzu"))


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEX_API_TOKEN", "")
    monkeypatch.setenv("RELEX_API_PORT", "")
    settings = Settings()
    assert (settings.api_token, settings.api_port) == (None, 8000)


def test_lower_case_names_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("relex_device", "cpu")
    assert Settings().device == "cpu"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RELEX_STORE_BACKEND", "sqlite", "RELEX_STORE_BACKEND: unknown store backend 'sqlite'"),
        ("RELEX_STORE_ENGINE", "duckdb", "RELEX_STORE_ENGINE: unknown embedded engine 'duckdb'"),
        ("RELEX_NEO4J_BATCH_SIZE", "lots", "RELEX_NEO4J_BATCH_SIZE: must be a positive integer"),
        ("RELEX_NEO4J_BATCH_SIZE", "0", "RELEX_NEO4J_BATCH_SIZE: must be a positive integer"),
        ("RELEX_API_PORT", "http", "RELEX_API_PORT: must be a positive integer, got 'http'"),
        ("RELEX_API_PORT", "70000", "RELEX_API_PORT: must be a TCP port between 1 and 65535"),
        ("RELEX_DEVICE", "gpu", "RELEX_DEVICE: unknown device 'gpu'"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message) as raised:
        Settings()
    assert isinstance(raised.value, StoreError)
    with pytest.raises(SettingsError, match=message):
        Settings.from_mapping({name: value})


def test_every_bad_value_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEX_DEVICE", "gpu")
    monkeypatch.setenv("RELEX_API_PORT", "0")
    with pytest.raises(SettingsError, match=r"RELEX_API_PORT: .*; RELEX_DEVICE: "):
        Settings()


def test_a_mapping_ignores_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEX_API_PORT", "not a port")
    Path(".env").write_text("RELEX_DEVICE=gpu\n", encoding="utf-8")
    settings = Settings.from_mapping({"RELEX_STORE_PATH": "x.kuzu", "OTHER": "1"})
    assert (settings.store_path, settings.api_port, settings.device) == (
        Path("x.kuzu"),
        8000,
        "auto",
    )


def test_get_settings_is_built_once_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("RELEX_API_PORT", "9999")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().api_port == 9999


def test_keyword_arguments_override_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEX_STORE_PATH", "env.kuzu")
    assert Settings(store_path=Path("arg.kuzu")).store_path == Path("arg.kuzu")


def test_settings_do_not_import_torch_or_the_web_framework() -> None:
    code = (
        "import sys, relex.queries.settings, relex.ingest.settings, relex.api.settings; "
        "sys.exit('torch' in sys.modules or 'fastapi' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_each_layer_owns_its_variables() -> None:
    store = {"store_backend", "store_path", "store_engine", "store_buffer_pool_mb"}
    store |= {"neo4j_uri", "neo4j_user", "neo4j_password", "neo4j_database", "neo4j_batch_size"}
    api = {"api_host", "api_port", "api_token", "data_roots", "max_jobs", "trusted_hosts"}
    assert set(StoreEnv.model_fields) == store
    assert set(IngestSettings.model_fields) == {"device", "data_dir"}
    assert set(ApiSettings.model_fields) == api
    assert set(Settings.model_fields) == store | api | {"device", "data_dir"}


def test_a_layer_reads_only_its_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEX_API_PORT", "not a port")
    monkeypatch.setenv("RELEX_STORE_ENGINE", "duckdb")
    assert IngestSettings().device == "auto"
    with pytest.raises(SettingsError, match=r"^bad setting: RELEX_API_PORT: [^;]*$"):
        ApiSettings()
    with pytest.raises(SettingsError, match=r"^bad setting: RELEX_STORE_ENGINE: [^;]*$"):
        StoreSettings.from_env()


def test_open_store_takes_its_settings_and_reads_no_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RELEX_STORE_BACKEND", "neo4j")
    with pytest.raises(TypeError):
        open_store()  # type: ignore[call-arg]
    with open_store(StoreSettings(path=tmp_path / "g.kuzu")) as store:
        assert not store.read_only
    assert (tmp_path / "g.kuzu").exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"backend": "sqlite"}, "unknown store backend 'sqlite': use embedded or neo4j"),
        ({"engine": "duckdb"}, "unknown embedded engine 'duckdb': use kuzu or ladybug"),
    ],
)
def test_store_settings_are_checked_as_their_variables_are(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        StoreSettings(**values)  # type: ignore[arg-type]
    variable = {"backend": "RELEX_STORE_BACKEND", "engine": "RELEX_STORE_ENGINE"}
    name, value = next(iter(values.items()))
    with pytest.raises(SettingsError, match=f"{variable[name]}: {message}"):
        StoreSettings.from_env({variable[name]: value})

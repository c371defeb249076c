"""The project's configuration (:class:`Settings`), which store to open, and ``open_store``.

One settings object, read from the environment and a ``.env`` file in the working directory
(the environment wins), with defaults that work with no configuration at all:

=========================  ==========================  =========================================
variable                   field                       default
=========================  ==========================  =========================================
``RELEX_STORE_BACKEND``    ``store_backend``           ``embedded`` (or ``neo4j``)
``RELEX_STORE_PATH``       ``store_path``              ``relex.kuzu``
``RELEX_STORE_ENGINE``     ``store_engine``            ``kuzu`` (or ``ladybug``)
``NEO4J_URI``              ``neo4j_uri``               none
``NEO4J_USER``             ``neo4j_user``              ``neo4j``
``NEO4J_PASSWORD``         ``neo4j_password``          none (secret)
``NEO4J_DATABASE``         ``neo4j_database``          the server's default database
``RELEX_NEO4J_BATCH_SIZE`` ``neo4j_batch_size``        10000
``RELEX_API_HOST``         ``api_host``                ``127.0.0.1``
``RELEX_API_PORT``         ``api_port``                8000
``RELEX_API_TOKEN``        ``api_token``               none (secret; ``relex serve`` makes one)
``RELEX_DATA_ROOTS``       ``data_roots``              the data folder and the working directory
``RELEX_MAX_JOBS``         ``max_jobs``                2 (ingest jobs running at once)
``RELEX_TRUSTED_HOSTS``    ``trusted_hosts``           loopback names and the bound host
``RELEX_DEVICE``           ``device``                  ``auto`` (CUDA when present)
``RELEX_DATA_DIR``         ``data_dir``                ``relex-data`` (job state, caches, demo)
=========================  ==========================  =========================================

``RELEX_DATA_ROOTS`` lists folders as ``PATH`` does (``os.pathsep`` between them);
``RELEX_TRUSTED_HOSTS`` lists host names, comma-separated (``*.example.org`` matches a domain,
``*`` any host). ``RELEX_STORE_BUFFER_POOL_MB`` (``store_buffer_pool_mb``) bounds the embedded
store's buffer pool, in MB; by default a quarter of the machine's memory, at most 4096. Empty
variables count as unset. A bad value raises :class:`SettingsError` naming the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from relex.queries.defaults import DEFAULT_BATCH_SIZE, DEFAULT_PATH
from relex.queries.engines import DEFAULT_ENGINE, ENGINES
from relex.queries.errors import StoreError

if TYPE_CHECKING:
    import neo4j

    from relex.queries.store import GraphStore

BACKENDS = ("embedded", "neo4j")
DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


class SettingsError(StoreError):
    """A configuration value (from the environment or ``.env``) is not valid."""


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where the graph lives: an embedded file (and engine) or a Neo4j server."""

    backend: str = "embedded"
    path: Path = DEFAULT_PATH
    engine: str = DEFAULT_ENGINE
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str | None = None
    neo4j_batch_size: int = DEFAULT_BATCH_SIZE
    buffer_pool_mb: int | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise StoreError(_unknown_backend(self.backend))
        if self.engine not in ENGINES:
            raise StoreError(_unknown_engine(self.engine))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """Settings from ``environ``, or from the environment and ``.env`` (see the module doc)."""
        settings = Settings() if environ is None else Settings.from_mapping(environ)
        return settings.store_settings()


class Settings(BaseSettings):
    """Store choice, paths, Neo4j credentials, API host/port/token and device (module doc)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    store_backend: str = Field("embedded", validation_alias="RELEX_STORE_BACKEND")
    store_path: Path = Field(DEFAULT_PATH, validation_alias="RELEX_STORE_PATH")
    store_engine: str = Field(DEFAULT_ENGINE, validation_alias="RELEX_STORE_ENGINE")
    store_buffer_pool_mb: int | None = Field(None, validation_alias="RELEX_STORE_BUFFER_POOL_MB")
    neo4j_uri: str | None = Field(None, validation_alias="NEO4J_URI")
    neo4j_user: str = Field("neo4j", validation_alias="NEO4J_USER")
    neo4j_password: SecretStr | None = Field(None, validation_alias="NEO4J_PASSWORD")
    neo4j_database: str | None = Field(None, validation_alias="NEO4J_DATABASE")
    neo4j_batch_size: int = Field(DEFAULT_BATCH_SIZE, validation_alias="RELEX_NEO4J_BATCH_SIZE")
    api_host: str = Field("127.0.0.1", validation_alias="RELEX_API_HOST")
    api_port: int = Field(8000, validation_alias="RELEX_API_PORT")
    api_token: SecretStr | None = Field(None, validation_alias="RELEX_API_TOKEN")
    data_roots: str | None = Field(None, validation_alias="RELEX_DATA_ROOTS")
    max_jobs: int = Field(2, validation_alias="RELEX_MAX_JOBS")
    trusted_hosts: str | None = Field(None, validation_alias="RELEX_TRUSTED_HOSTS")
    device: str = Field("auto", validation_alias="RELEX_DEVICE")
    data_dir: Path = Field(Path("relex-data"), validation_alias="RELEX_DATA_DIR")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None

    @classmethod
    def from_mapping(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from ``environ`` alone (variable names as keys), ignoring the real
        environment and ``.env``."""
        names = {_alias(name).upper(): name for name in cls.model_fields}
        values: dict[str, Any] = {
            names[key.upper()]: value
            for key, value in environ.items()
            if key.upper() in names and value != ""
        }
        return _ExplicitSettings(**values)

    @field_validator("store_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in BACKENDS:
            raise ValueError(_unknown_backend(value))
        return value

    @field_validator("store_engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value not in ENGINES:
            raise ValueError(_unknown_engine(value))
        return value

    @field_validator(
        "neo4j_batch_size", "api_port", "max_jobs", "store_buffer_pool_mb", mode="before"
    )
    @classmethod
    def _positive_integer(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError(f"must be a positive integer, got {value!r}")
        return value

    @field_validator("neo4j_batch_size", "max_jobs", "store_buffer_pool_mb")
    @classmethod
    def _batch_at_least_one(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(f"must be a positive integer, got {value}")
        return value

    @field_validator("api_port")
    @classmethod
    def _port_in_range(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError(f"must be a TCP port between 1 and 65535, got {value}")
        return value

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if not DEVICE_PATTERN.fullmatch(value):
            raise ValueError(f"unknown device {value!r} (use auto, cpu, cuda, cuda:N or mps)")
        return value

    def store_settings(self) -> StoreSettings:
        """The part ``open_store`` needs."""
        password = self.neo4j_password
        return StoreSettings(
            backend=self.store_backend,
            path=self.store_path,
            engine=self.store_engine,
            neo4j_uri=self.neo4j_uri,
            neo4j_user=self.neo4j_user,
            neo4j_password=None if password is None else password.get_secret_value(),
            neo4j_database=self.neo4j_database,
            neo4j_batch_size=self.neo4j_batch_size,
            buffer_pool_mb=self.store_buffer_pool_mb,
        )


class _ExplicitSettings(Settings):
    """Settings from keyword arguments only: no environment, no ``.env``."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once on first use (``cache_clear()`` to re-read)."""
    return Settings()


def _alias(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else field


def _describe(error: ValidationError) -> str:
    """One line per bad value, naming the variable that holds it."""
    problems = []
    for item in error.errors():
        where = str(item["loc"][0]) if item["loc"] else "settings"
        name = _alias(where) if where in Settings.model_fields else where
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{name.upper()}: {message}")
    return "bad setting: " + "; ".join(problems)


def _unknown_backend(value: str) -> str:
    return f"unknown store backend {value!r}: use {' or '.join(BACKENDS)}"


def _unknown_engine(value: str) -> str:
    return f"unknown embedded engine {value!r}: use {' or '.join(ENGINES)}"


def open_store(
    settings: StoreSettings | None = None,
    *,
    read_only: bool = False,
    driver: neo4j.Driver | None = None,
) -> GraphStore:
    """Open the store that ``settings`` (default: the environment) names.

    For Neo4j, pass an existing ``driver`` to share it (the store will not close it);
    otherwise one is created from the settings and closed with the store.
    """
    chosen = settings if settings is not None else StoreSettings.from_env()
    if chosen.backend == "embedded":
        from relex.queries.embedded import EmbeddedStore

        return EmbeddedStore(
            chosen.path,
            engine=chosen.engine,
            read_only=read_only,
            buffer_pool_mb=chosen.buffer_pool_mb,
        )
    from relex.queries.neo4j_store import Neo4jStore

    if driver is not None:
        return Neo4jStore(
            driver,
            database=chosen.neo4j_database,
            batch_size=chosen.neo4j_batch_size,
            read_only=read_only,
        )
    if not chosen.neo4j_uri or chosen.neo4j_password is None:
        raise StoreError("the neo4j backend needs NEO4J_URI and NEO4J_PASSWORD (or a driver)")
    return Neo4jStore.connect(
        chosen.neo4j_uri,
        chosen.neo4j_user,
        chosen.neo4j_password,
        database=chosen.neo4j_database,
        batch_size=chosen.neo4j_batch_size,
        read_only=read_only,
    )

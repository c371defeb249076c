"""The store's settings (:class:`StoreSettings`), how every layer reads its own, and ``open_store``.

Each layer owns its settings: this module the store's, ``ingest.settings`` the device and data
folder, ``api.settings`` the server's. Each is a :class:`EnvSettings`, read from the environment
and a ``.env`` file in the working directory (the environment wins), with defaults that work with
no configuration at all. The store's variables:

=============================== ========================== ====================================
variable                        field                      default
=============================== ========================== ====================================
``RELEX_STORE_BACKEND``         ``store_backend``          ``embedded`` (or ``neo4j``)
``RELEX_STORE_PATH``            ``store_path``             ``relex.kuzu``
``RELEX_STORE_ENGINE``          ``store_engine``           ``kuzu`` (or ``ladybug``)
``RELEX_STORE_BUFFER_POOL_MB``  ``store_buffer_pool_mb``   a quarter of the memory, at most 4096
``NEO4J_URI``                   ``neo4j_uri``              none
``NEO4J_USER``                  ``neo4j_user``             ``neo4j``
``NEO4J_PASSWORD``              ``neo4j_password``         none (secret)
``NEO4J_DATABASE``              ``neo4j_database``         the server's default database
``RELEX_NEO4J_BATCH_SIZE``      ``neo4j_batch_size``       10000
=============================== ========================== ====================================

Empty variables count as unset. A bad value raises :class:`SettingsError` naming the variable.
``open_store`` reads nothing itself: callers that want the environment pass
``StoreSettings.from_env()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self, cast

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from relex.queries.defaults import DEFAULT_BATCH_SIZE, DEFAULT_PATH
from relex.queries.engines import DEFAULT_ENGINE, ENGINES
from relex.queries.errors import StoreError

if TYPE_CHECKING:
    import neo4j

    from relex.queries.store import GraphStore

BACKENDS = ("embedded", "neo4j")


class SettingsError(StoreError):
    """A configuration value (from the environment or ``.env``) is not valid."""


def integer_text(value: object) -> object:
    """Refuse a variable's text that is not a whole non-negative number."""
    if isinstance(value, str) and not value.strip().isdigit():
        raise ValueError(f"must be a positive integer, got {value!r}")
    return value


def _at_least_one(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ValueError(f"must be a positive integer, got {value}")
    return value


def known_backend(value: str) -> str:
    """``value`` if it names a store backend."""
    if value not in BACKENDS:
        raise ValueError(f"unknown store backend {value!r}: use {' or '.join(BACKENDS)}")
    return value


def known_engine(value: str) -> str:
    """``value`` if it names an embedded engine."""
    if value not in ENGINES:
        raise ValueError(f"unknown embedded engine {value!r}: use {' or '.join(ENGINES)}")
    return value


PositiveInt = Annotated[int, BeforeValidator(integer_text), AfterValidator(_at_least_one)]
"""A count of at least one (``max_jobs``, batch sizes)."""
OptionalPositiveInt = Annotated[
    int | None, BeforeValidator(integer_text), AfterValidator(_at_least_one)
]


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
        try:
            known_backend(self.backend)
            known_engine(self.engine)
        except ValueError as error:
            raise StoreError(str(error)) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """Settings from ``environ``, or from the environment and ``.env`` (see the module doc)."""
        settings = StoreEnv() if environ is None else StoreEnv.from_mapping(environ)
        return settings.store_settings()


class EnvSettings(BaseSettings):
    """A layer's settings: read from the environment and ``.env``, empty variables unset, every
    bad value reported at once as one :class:`SettingsError` naming the variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise SettingsError(_describe(type(self), error)) from None

    @classmethod
    def from_mapping(cls, environ: Mapping[str, str]) -> Self:
        """Settings from ``environ`` alone (variable names as keys), ignoring the real
        environment and ``.env``."""
        names = {_alias(cls, name).upper(): name for name in cls.model_fields}
        values: dict[str, Any] = {
            names[key.upper()]: value
            for key, value in environ.items()
            if key.upper() in names and value != ""
        }
        return cast(type[Self], _explicit(cls))(**values)


class StoreEnv(EnvSettings):
    """The store's variables (module doc); :meth:`store_settings` is what ``open_store`` takes."""

    store_backend: Annotated[str, AfterValidator(known_backend)] = Field(
        default="embedded", validation_alias="RELEX_STORE_BACKEND"
    )
    store_path: Path = Field(default=DEFAULT_PATH, validation_alias="RELEX_STORE_PATH")
    store_engine: Annotated[str, AfterValidator(known_engine)] = Field(
        default=DEFAULT_ENGINE, validation_alias="RELEX_STORE_ENGINE"
    )
    store_buffer_pool_mb: OptionalPositiveInt = Field(
        default=None, validation_alias="RELEX_STORE_BUFFER_POOL_MB"
    )
    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", validation_alias="NEO4J_USER")
    neo4j_password: SecretStr | None = Field(default=None, validation_alias="NEO4J_PASSWORD")
    neo4j_database: str | None = Field(default=None, validation_alias="NEO4J_DATABASE")
    neo4j_batch_size: PositiveInt = Field(
        default=DEFAULT_BATCH_SIZE, validation_alias="RELEX_NEO4J_BATCH_SIZE"
    )

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


def _init_only(
    cls: type[BaseSettings],
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
    dotenv_settings: PydanticBaseSettingsSource,
    file_secret_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    return (init_settings,)


@cache
def _explicit(settings: type[EnvSettings]) -> type[EnvSettings]:
    """``settings`` from keyword arguments only: no environment, no ``.env``."""
    return type(
        f"_Explicit{settings.__name__}",
        (settings,),
        {"settings_customise_sources": classmethod(_init_only)},
    )


def _alias(settings: type[EnvSettings], field: str) -> str:
    alias = settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else field


def _describe(settings: type[EnvSettings], error: ValidationError) -> str:
    """One line per bad value, naming the variable that holds it."""
    problems = []
    for item in error.errors():
        where = str(item["loc"][0]) if item["loc"] else "settings"
        name = _alias(settings, where) if where in settings.model_fields else where
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{name.upper()}: {message}")
    return "bad setting: " + "; ".join(problems)


def open_store(
    settings: StoreSettings,
    *,
    read_only: bool = False,
    driver: neo4j.Driver | None = None,
) -> GraphStore:
    """Open the store that ``settings`` names (``StoreSettings.from_env()`` for the environment's).

    For Neo4j, pass an existing ``driver`` to share it (the store will not close it);
    otherwise one is created from the settings and closed with the store.
    """
    if settings.backend == "embedded":
        from relex.queries.embedded import EmbeddedStore

        return EmbeddedStore(
            settings.path,
            engine=settings.engine,
            read_only=read_only,
            buffer_pool_mb=settings.buffer_pool_mb,
        )
    from relex.queries.neo4j_store import Neo4jStore

    if driver is not None:
        return Neo4jStore(
            driver,
            database=settings.neo4j_database,
            batch_size=settings.neo4j_batch_size,
            read_only=read_only,
        )
    if not settings.neo4j_uri or settings.neo4j_password is None:
        raise StoreError("the neo4j backend needs NEO4J_URI and NEO4J_PASSWORD (or a driver)")
    return Neo4jStore.connect(
        settings.neo4j_uri,
        settings.neo4j_user,
        settings.neo4j_password,
        database=settings.neo4j_database,
        batch_size=settings.neo4j_batch_size,
        read_only=read_only,
    )

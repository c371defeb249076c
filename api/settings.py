"""The API's settings: its own variables, over the store's and the ingest layer's it runs on.

=========================  =================  ==============================================
variable                   field              default
=========================  =================  ==============================================
``RELEX_API_HOST``         ``api_host``       ``127.0.0.1``
``RELEX_API_PORT``         ``api_port``       8000
``RELEX_API_TOKEN``        ``api_token``      none (secret; ``relex serve`` makes one)
``RELEX_DATA_ROOTS``       ``data_roots``     the data folder and the working directory
``RELEX_MAX_JOBS``         ``max_jobs``       2 (ingest jobs running at once)
``RELEX_TRUSTED_HOSTS``    ``trusted_hosts``  loopback names and the bound host
=========================  =================  ==============================================

``RELEX_DATA_ROOTS`` lists folders as ``PATH`` does (``os.pathsep`` between them);
``RELEX_TRUSTED_HOSTS`` lists host names, comma-separated (``*.example.org`` matches a domain,
``*`` any host). The store's variables are in :mod:`queries.settings`, the device and data
folder in :mod:`ingest.settings`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from relex.ingest.settings import IngestSettings
from relex.queries.settings import EnvSettings, PositiveInt, StoreEnv, integer_text


def _tcp_port(value: int) -> int:
    if not 0 < value < 65536:
        raise ValueError(f"must be a TCP port between 1 and 65535, got {value}")
    return value


class ApiSettings(EnvSettings):
    """What the API serves on: host, port, token, data roots, jobs and trusted hosts (module
    doc)."""

    api_host: str = Field(default="127.0.0.1", validation_alias="RELEX_API_HOST")
    api_port: Annotated[int, BeforeValidator(integer_text), AfterValidator(_tcp_port)] = Field(
        default=8000, validation_alias="RELEX_API_PORT"
    )
    api_token: SecretStr | None = Field(default=None, validation_alias="RELEX_API_TOKEN")
    data_roots: str | None = Field(default=None, validation_alias="RELEX_DATA_ROOTS")
    max_jobs: PositiveInt = Field(default=2, validation_alias="RELEX_MAX_JOBS")
    trusted_hosts: str | None = Field(default=None, validation_alias="RELEX_TRUSTED_HOSTS")


class Settings(IngestSettings, ApiSettings, StoreEnv):
    """What ``create_app`` takes: the API's settings, the store it opens, and the device and
    data folder its renders and jobs use (bad values are reported in that order)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once on first use (``cache_clear()`` to re-read)."""
    return Settings()

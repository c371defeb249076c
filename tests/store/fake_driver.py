"""A recording stand-in for the Neo4j driver (no server here): sessions, read and write
transactions, and every statement run recorded by its catalogue name with its parameters,
transaction mode and database. Subclasses say what a statement answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar

from neo4j.exceptions import Neo4jError


@dataclass(frozen=True)
class Call:
    name: str
    cypher: str
    params: dict[str, Any]
    mode: str
    database: str | None


@dataclass
class RecordedResult:
    rows: list[dict[str, Any]]

    def data(self) -> list[dict[str, Any]]:
        return self.rows


@dataclass
class RecordingTx:
    driver: RecordingDriver
    mode: str
    database: str | None

    def run(self, cypher: str, params: dict[str, Any]) -> RecordedResult:
        name = self.driver.NAME_OF.get(cypher, "<ad hoc>")
        self.driver.calls.append(Call(name, cypher, params, self.mode, self.database))
        if self.driver.error is not None:
            raise self.driver.error
        return RecordedResult(self.driver.answer(name, params))


@dataclass
class RecordingSession:
    driver: RecordingDriver
    database: str | None
    open: bool = True

    def __enter__(self) -> RecordingSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.open = False

    def execute_write(self, work: Callable[..., Any], *args: Any) -> Any:
        return work(RecordingTx(self.driver, "write", self.database), *args)

    def execute_read(self, work: Callable[..., Any], *args: Any) -> Any:
        return work(RecordingTx(self.driver, "read", self.database), *args)


@dataclass
class RecordingDriver:
    """Records what runs; ``NAME_OF`` maps each statement text to its catalogue name, ``error``
    (when set) is what every statement raises, and ``answer`` gives the rows of the others."""

    NAME_OF: ClassVar[dict[str, str]] = {}

    calls: list[Call] = field(default_factory=list, kw_only=True)
    sessions: list[RecordingSession] = field(default_factory=list, kw_only=True)
    error: Neo4jError | None = field(default=None, kw_only=True)
    closed: bool = field(default=False, kw_only=True)

    def session(self, database: str | None = None) -> RecordingSession:
        session = RecordingSession(self, database)
        self.sessions.append(session)
        return session

    def close(self) -> None:
        self.closed = True

    def answer(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows statement ``name`` answers: none here."""
        return []

    def names(self) -> list[str]:
        return [call.name for call in self.calls]

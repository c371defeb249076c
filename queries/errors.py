"""Exceptions for problems a user can fix: each message names the store, the row or the query.

:class:`UserError` is the one root of the project's errors: this bottom floor owns it, each layer
subclasses it (``StoreError`` here, ``relex.ingest.errors.RelexError`` above), and the edges (the
CLI, the API's handlers, the jobs) catch it alone."""


class UserError(Exception):
    """The root: a problem the user can fix (bad input, a missing file or node): no traceback."""


class StoreError(UserError):
    """Base class: something about the graph store the user can fix."""


class StoreInUseError(StoreError):
    """Another process (or another handle in this one) holds the embedded store for writing."""


class ReadOnlyStoreError(StoreError):
    """A write was attempted through a read-only store."""


class NotFoundError(StoreError):
    """A store, a query file, or a node that a row refers to does not exist."""


class InvalidRowError(StoreError, ValueError):
    """A row (or an id part) is malformed: empty id parts, a bad kind or status, bad JSON."""


class QueryError(StoreError):
    """The database rejected a query; the message carries the database's own words."""


class EngineConflictError(StoreError):
    """kuzu and ladybug were both asked for in one process; they cannot share it."""


class WriteRefusedError(ReadOnlyStoreError):
    """The read-only Cypher console was given a query that writes (or touches files or set-up)."""


class CypherSyntaxError(QueryError):
    """The database could not parse or bind a console query; the message carries its words."""


class QueryTimeoutError(QueryError):
    """A console query ran past its time limit and was stopped."""


class OutdatedGraphError(StoreError):
    """A run (or a whole embedded store) was written before the graph's current meaning
    (``queries.schema.GRAPH_VERSION``); it has to be ingested again."""


class QueryTooComplexError(CypherSyntaxError):
    """A console query is over a limit checked before the database parses it: its length, its
    number of terms, how deep its brackets nest, or the size of a ``range()``."""

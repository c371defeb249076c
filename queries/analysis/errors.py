"""Errors of the query functions beyond ``queries.errors`` (unknown ids are NotFoundError)."""

from relex.queries.errors import StoreError


class InvalidArgumentError(StoreError, ValueError):
    """A query argument is out of range (k < 1, a target layer above the source, ...)."""

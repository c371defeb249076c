"""The torch side's error: a subclass of the project's one root, which the graph layer owns."""

from relex.queries.errors import UserError


class RelexError(UserError):
    """A problem the user can fix (bad input, a missing file, wrong weights): no traceback."""

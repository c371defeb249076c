"""The one exception type the command line turns into a clear message and a non-zero exit."""


class RelexError(Exception):
    """A problem the user can fix (bad input, a missing file, wrong weights): no traceback."""

"""Plain-text tables for ``relex query`` and ``relex cypher``: one look for every command."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def cell(value: Any, width: int | None = None) -> str:
    """A value as table text: "-" for null, floats to 4 significant digits, lists and maps as
    JSON; cut to ``width`` characters when one is given."""
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool | list | tuple | dict):
        text = json.dumps(value)
    else:
        text = str(value)
    return text if width is None or len(text) <= width else text[: width - 3] + "..."


def percent(value: float | None) -> str:
    """A fraction as a percentage with one decimal, "-" for null."""
    return "-" if value is None else f"{100 * value:.1f}%"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cell_width: int | None = None
) -> str:
    """Rows as aligned text columns under a header line and a rule; cells longer than
    ``cell_width`` are cut."""
    text = [[cell(v, cell_width) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in text)]) for i, h in enumerate(headers)]
    return "\n".join([*head(headers, widths), *(line(r, widths) for r in text)])


def head(headers: Sequence[str], widths: Sequence[int]) -> list[str]:
    """A table's header line and the rule under it, for columns of ``widths``."""
    return [line(headers, widths), line(["-" * w for w in widths], widths)]


def line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Cells padded to their columns' widths, two spaces apart, trailing blanks cut."""
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

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
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in text]
    return "\n".join(line.rstrip() for line in lines)

"""The one builder of Markdown tables for asset metadata: what an operator reads at a glance in
the UI. Every cell is escaped (`|`) and flattened (newlines and runs of whitespace become one
space), so no value can break a table. Tables the UI should sort are built from the same
cells with `dg.MetadataValue.table` in `defs/metadata.py`; this module stays free of Dagster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def shorten(text: str | None, limit: int = 90) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cell_text(value: object, max_width: int | None = None) -> str:
    """A value as a table cell: None is empty, whitespace is flattened, long text is cut."""
    text = " ".join(("" if value is None else str(value)).split())
    return shorten(text, max_width) if max_width else text


def md_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], max_width: int | None = None
) -> str:
    """A GitHub-flavoured table; each cell escaped and, with `max_width`, cut to that width."""

    def cell(value: object) -> str:
        return cell_text(value, max_width).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)

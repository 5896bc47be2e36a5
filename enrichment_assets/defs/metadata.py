"""Tables in asset metadata that the UI can sort: `dg.MetadataValue.table` with a schema.

Cells are the ones `lib/common/tables.py` makes for Markdown (flattened, cut when asked), so a
table reads the same whichever form an asset uses; Markdown stays for lists and for text a
reader scans rather than sorts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import dagster as dg

from enrichment_assets.lib.common.tables import cell_text


def _column_type(values: list) -> str:
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return "bool"
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return "int"
    if present and all(isinstance(value, int | float) and not isinstance(value, bool)
                       for value in present):  # fmt: skip
        return "float"
    return "string"


def table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], max_width: int | None = 120
) -> dg.MetadataValue:
    """A sortable table: numbers stay numbers, everything else is one line of text."""
    rows = [list(row) for row in rows]
    types = [_column_type([row[i] for row in rows]) for i in range(len(columns))]
    records = [
        dg.TableRecord(
            {
                name: (value if kind != "string" or value is None else cell_text(value, max_width))
                for name, kind, value in zip(columns, types, row, strict=True)
            }
        )
        for row in rows
    ]
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind) for name, kind in zip(columns, types, strict=True)]
    )
    return dg.MetadataValue.table(records=records, schema=schema)


def table_of_dicts(
    rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None
) -> dg.MetadataValue:
    columns = list(columns or (rows[0].keys() if rows else []))
    return table(columns, ([row.get(column) for column in columns] for row in rows))


def counts_table(counts: Mapping[str, int], key: str, value: str = "rows") -> dg.MetadataValue:
    """`{status: count}` as a two-column table, largest first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return table([key, value], ordered)

"""Reading one CSV file of the dump into Arrow tables, a chunk of whole records at a time.

A chunk ends where a record ends (a newline after an even number of quote characters), so
Arrow parses each chunk's blocks on every core while what is held stays bounded. A row of the
wrong width, text that is not UTF-8 in a column read, or a header with two columns of one name
raises CarefulReadNeeded: only the careful reader can say on which line such a row starts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from enrichment_assets.lib.datasets.meta_kaggle import CarefulReadNeeded, MetaKaggleError

CHUNK_BYTES = 4 << 20  # whole records handed to Arrow at a time: ~6,000 versions
BLOCK_BYTES = 1 << 20  # Arrow parses a chunk's blocks on all cores


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        try:
            header = next(csv.reader(handle))
        except StopIteration:
            raise MetaKaggleError(f"{path.name} is empty") from None
    names = [name.strip().lstrip("\ufeff") for name in header]
    if len(set(names)) != len(names):
        raise CarefulReadNeeded(f"{path.name}: a column name appears twice in the header")
    return names


def _refuse_invalid_row(row) -> str:
    return "error"  # a row of the wrong width: the careful reader quarantines it by line


class CsvFile:
    """One file of the dump: its header read by name, then its `wanted` columns as Arrow
    tables, one per chunk of whole records (see `_record_chunks`)."""

    def __init__(self, path: Path, wanted: tuple[str, ...], required: tuple[str, ...]) -> None:
        names = _header(path)
        missing = [name for name in required if name not in names]
        if missing:
            raise MetaKaggleError(f"{path.name}: required column(s) {', '.join(missing)} missing")
        present = [name for name in wanted if name in names]
        self.path, self.wanted = path, wanted
        self._read = pa_csv.ReadOptions(column_names=names, block_size=BLOCK_BYTES)
        self._parse = pa_csv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=_refuse_invalid_row
        )
        self._convert = pa_csv.ConvertOptions(
            include_columns=present,
            column_types=dict.fromkeys(present, pa.string()),
            # Bytes that are not UTF-8 in a column read: the careful reader's (it replaces
            # them). Elsewhere in a row they change nothing either reader makes.
            check_utf8=True,
        )

    def tables(self) -> Iterator[pa.Table]:
        for chunk in _record_chunks(self.path):
            try:
                table = pa_csv.read_csv(
                    pa.py_buffer(chunk),
                    read_options=self._read,
                    parse_options=self._parse,
                    convert_options=self._convert,
                )
            except pa.ArrowInvalid as error:
                # Arrow quotes the offending row: kept short for the log.
                raise CarefulReadNeeded(f"{self.path.name}: {str(error)[:200]}") from None
            yield _with_missing(table, self.wanted)

    def read_all(self) -> pa.Table:
        """The wanted columns of the whole file."""
        tables = list(self.tables())
        if not tables:
            return _with_missing(pa.table({}), self.wanted)
        return pa.concat_tables(tables)


def _record_chunks(path: Path) -> Iterator[bytes]:
    """The file after its header record, in pieces of about CHUNK_BYTES that end where a record
    ends: at a newline with an even number of quote characters before it (a quoted field's own
    quotes come in pairs). Arrow's streaming reader would read ahead 32 blocks of its own
    accord (128 MB at 4 MB a block); pieces handed over one by one bound what is held."""
    with path.open("rb") as handle:
        buffer, header_done = b"", False
        while True:
            block = handle.read(CHUNK_BYTES)
            buffer += block
            if not header_done:
                start = _first_record_end(buffer)
                if start is None and block:
                    continue
                buffer, header_done = buffer[start or len(buffer) :], True
            cut = _last_record_end(buffer) if block else len(buffer)
            if cut:
                piece, buffer = buffer[:cut], buffer[cut:]
                yield piece
            if not block:
                return


def _first_record_end(data: bytes) -> int | None:
    position = 0
    while (newline := data.find(b"\n", position)) >= 0:
        if data.count(b'"', 0, newline) % 2 == 0:
            return newline + 1
        position = newline + 1
    return None


def _last_record_end(data: bytes) -> int | None:
    quotes, end = data.count(b'"'), len(data)
    while (newline := data.rfind(b"\n", 0, end)) >= 0:
        quotes -= data.count(b'"', newline, end)
        if quotes % 2 == 0:
            return newline + 1
        end = newline
    return None


def _with_missing(table: pa.Table, wanted: tuple[str, ...]) -> pa.Table:
    """Columns an older or newer dump lacks read as empty, as in the careful reader."""
    for name in wanted:
        if name not in table.column_names:
            table = table.append_column(name, pa.array([""] * table.num_rows, pa.string()))
    return table.select(list(wanted))

"""One batch of catalog records as columns: what the fast Meta Kaggle reader yields and the
seed's columnar writer (`storage/datasets_seed.py`) writes, one transaction per batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from enrichment_assets.lib.datasets.records import KAGGLE, DatasetRecord


@dataclass
class RecordColumns:
    """Records of one batch, column by column: Python lists where Python reads them anyway,
    Arrow arrays for the times (SQLite wants them as text, PostgreSQL as datetimes)."""

    external_id: list[str]
    title: list[str | None]
    description: list[str | None]
    url: list[str | None]
    owner: list[str | None]
    license: list[str | None]
    downloads: list[int | None]
    likes: list[int | None]
    source_created_at: pa.Array  # timestamp[us, UTC]
    source_modified_at: pa.Array
    ref: list[str | None]
    extra: list[str]  # canonical JSON text
    content_hash: list[str]
    source: str = KAGGLE

    def __len__(self) -> int:
        return len(self.external_id)

    def slice(self, start: int, stop: int) -> RecordColumns:
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = value[start:stop]
            elif isinstance(value, pa.Array):
                values[name] = value.slice(start, stop - start)
        return RecordColumns(**values)

    @staticmethod
    def concat(parts: list[RecordColumns]) -> RecordColumns:
        if len(parts) == 1:
            return parts[0]
        values = {field.name: getattr(parts[0], field.name) for field in fields(parts[0])}
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = [item for part in parts for item in getattr(part, name)]
            elif isinstance(value, pa.Array):
                values[name] = pa.concat_arrays([getattr(part, name) for part in parts])
        return RecordColumns(**values)

    def times_as_text(self, name: str) -> list[str | None]:
        """SQLAlchemy's SQLite storage of a DateTime: `YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC."""
        # Cast, not strftime (16 times slower): a naive timestamp prints in exactly this form.
        return pc.cast(getattr(self, name), pa.timestamp("us")).cast(pa.string()).to_pylist()

    def newest_modified(self) -> datetime | None:
        return pc.max(self.source_modified_at).as_py()

    def record(self, i: int) -> DatasetRecord:
        return DatasetRecord(
            source=self.source,
            external_id=self.external_id[i],
            title=self.title[i],
            description=self.description[i],
            url=self.url[i],
            owner=self.owner[i],
            license=self.license[i],
            downloads=self.downloads[i],
            likes=self.likes[i],
            source_created_at=self.source_created_at[i].as_py(),
            source_modified_at=self.source_modified_at[i].as_py(),
            ref=self.ref[i],
            extra=json.loads(self.extra[i]),
        )


def rebatch(batches: Iterator[RecordColumns], size: int) -> Iterator[RecordColumns]:
    """The same records in batches of `size` (the last one shorter): one transaction each."""
    held: list[RecordColumns] = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += len(batch)
        while count >= size:
            joined = RecordColumns.concat(held)
            yield joined.slice(0, size)
            rest = joined.slice(size, len(joined))
            held, count = ([rest] if len(rest) else []), len(rest)
    if count:
        yield RecordColumns.concat(held)

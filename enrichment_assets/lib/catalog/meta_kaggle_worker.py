"""The reading half of a Meta Kaggle seed, in a process of its own.

`python -m enrichment_assets.lib.catalog.meta_kaggle_worker DIRECTORY BATCH_SIZE` reads and
joins the dump, hashes each record and writes frames to stdout: an 8-byte big-endian length,
then a pickle of `("batch", [(record, row), ...])`, and at the end `("done", (counts,
quarantined))` or `("error", exception)`. The parent (`jobs.seed_meta_kaggle`) writes while
this reads: on two cores the two halves of a seed, which cost about the same, overlap.
A plain subprocess rather than multiprocessing: spawn re-imports the parent's `__main__`,
which in a Dagster step or a script run from stdin is not importable.
"""

from __future__ import annotations

import pickle
import struct
import sys
from collections.abc import Iterator
from typing import IO, Any

from enrichment_assets.lib.catalog.meta_kaggle import MetaKaggleReader

_HEADER = struct.Struct(">Q")


def write_frame(stream: IO[bytes], message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)


def read_frames(stream: IO[bytes]) -> Iterator[Any]:
    while header := stream.read(_HEADER.size):
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        payload = stream.read(size)
        if len(payload) < size:  # the writer died mid-frame
            return
        yield pickle.loads(payload)  # our own child's output, never outside input


def main(argv: list[str]) -> int:
    directory, batch_size = argv[0], int(argv[1])
    out = sys.stdout.buffer
    reader = MetaKaggleReader(directory)
    try:
        batch: list = []
        for record in reader.records():
            batch.append((record, record.row()))
            if len(batch) >= batch_size:
                write_frame(out, ("batch", batch))
                batch = []
        if batch:
            write_frame(out, ("batch", batch))
        write_frame(out, ("done", (reader.counts, reader.quarantined)))
    except BrokenPipeError:  # the parent is gone: nothing left to do
        return 1
    except Exception as error:
        write_frame(out, ("error", error))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

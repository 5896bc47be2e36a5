"""Arrow compute kernels that give a column of the dump what the careful reader
(`meta_kaggle.py`) gives each value: ids and counters as integers, US dates as UTC times,
text cleaned and JSON-quoted. The common case runs in C++; a column with a value the kernel
cannot place goes through the careful reader's own function, value by value, so both readers
make the same records."""

from __future__ import annotations

from json.encoder import encode_basestring  # C-accelerated; what json.dumps does to a str

import pyarrow as pa
import pyarrow.compute as pc

from enrichment_assets.lib.datasets.meta_kaggle import CarefulReadNeeded, parse_us_datetime
from enrichment_assets.lib.datasets.records import as_int, clean_text

US_DATETIME = "%m/%d/%Y %H:%M:%S"
US_DATE = "%m/%d/%Y"
# Python's `str.isspace` characters: what `str.strip()` removes, for Arrow's `utf8_trim`.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_NEEDS_JSON_ESCAPE = r'["\\\x00-\x1f]'


def none_if_empty(text) -> pa.Array:
    return pc.if_else(pc.equal(text, ""), None, text)


def cleaned(text) -> pa.Array:
    """`clean_text` on a column: the common case (no newline, tab or double space: only the
    ends to trim) in Arrow, the rest through `clean_text` itself."""
    laid_out = pc.or_(
        pc.or_(pc.match_substring(text, "\n"), pc.match_substring(text, "\t")),
        pc.match_substring(text, "  "),
    )
    trimmed = none_if_empty(pc.utf8_trim(text, PY_WHITESPACE))
    if not pc.any(laid_out).as_py():
        return flat(trimmed)
    return pa.array(
        [
            clean_text(raw) if is_laid_out else value
            for raw, value, is_laid_out in zip(
                text.to_pylist(), trimmed.to_pylist(), laid_out.to_pylist(), strict=True
            )
        ],
        pa.string(),
    )


def json_strings(text: pa.Array) -> pa.Array:
    """Each string as a JSON string literal, as `json.dumps(..., ensure_ascii=False)` writes
    it: quoted in Arrow, or through the json module's own encoder where something needs an
    escape (a quote, a backslash, a control character)."""
    escape = pc.fill_null(pc.match_substring_regex(text, _NEEDS_JSON_ESCAPE), False)
    quoted = pc.binary_join_element_wise('"', text, '"', "")
    if not pc.any(escape).as_py():
        return quoted
    return pa.array(
        [
            encode_basestring(raw) if needs else value
            for raw, value, needs in zip(
                text.to_pylist(), quoted.to_pylist(), escape.to_pylist(), strict=True
            )
        ],
        pa.string(),
    )


def lookup(keys, names: dict[str, str]) -> pa.Array:
    if not names:
        return pa.nulls(len(keys), pa.string())
    position = pc.index_in(keys, value_set=pa.array(list(names), pa.string()))
    return pc.take(pa.array(list(names.values()), pa.string()), position)


def number_text(values: pa.Array) -> pa.Array:
    return pc.fill_null(pc.cast(values, pa.string()), "")


def plain_ints(column, file: str, name: str, allow_empty: bool) -> pa.Array:
    """An id column as int64 ("" as null where allowed). Arrow's cast takes a subset of what
    `int()` takes, with the same value; anything else is for the careful reader."""
    values = pc.if_else(pc.equal(column, ""), None, column)
    if not allow_empty and values.null_count:
        raise CarefulReadNeeded(f"{file}: a row without {name}")
    try:
        return pc.cast(values, pa.int64())
    except pa.ArrowInvalid:
        raise CarefulReadNeeded(f"{file}: a {name} that is not an integer") from None


def ints(column) -> pa.Array:
    """A counter column as int64 with `as_int`'s rules: empty -> null, "1.0" -> 1, junk -> null
    (a column with any such value goes through `as_int` itself)."""
    try:
        return pc.cast(pc.if_else(pc.equal(column, ""), None, column), pa.int64())
    except pa.ArrowInvalid:
        return pa.array([as_int(text) for text in column.to_pylist()], pa.int64())


def has_duplicates(ids: pa.Array) -> bool:
    present = ids.drop_null()
    return pc.count_distinct(present).as_py() != len(present)


def times(column) -> pa.Array:
    """US datetimes as timestamp[us, UTC]; the layouts strptime misses (date only, ISO) go
    through `parse_us_datetime`, one value at a time."""
    parsed = pc.strptime(column, format=US_DATETIME, unit="us", error_is_null=True)
    missed = pc.and_(pc.is_null(parsed), pc.not_equal(column, ""))
    if pc.any(missed).as_py():  # dates without a time, as LastActivityDate often is
        by_day = pc.strptime(column, format=US_DATE, unit="us", error_is_null=True)
        parsed = pc.coalesce(parsed, pc.if_else(pc.equal(pc.utf8_length(column), 10), by_day, None))
        missed = pc.and_(pc.is_null(parsed), pc.not_equal(column, ""))
    if pc.any(missed).as_py():
        values = [
            parse_us_datetime(text) if was_missed else value
            for text, value, was_missed in zip(
                column.to_pylist(), parsed.to_pylist(), missed.to_pylist(), strict=True
            )
        ]
        naive_utc = [value.replace(tzinfo=None) if value else None for value in values]
        parsed = pa.array(naive_utc, pa.timestamp("us"))
    return pc.assume_timezone(parsed, "UTC")


def unparsed(text: pa.Array, parsed: pa.Array) -> pa.Array:
    return pc.and_(pc.is_null(parsed), pc.not_equal(text, ""))


def json_field(key: str, values: pa.Array) -> pa.Array:
    """`"key":value` where value is set, null elsewhere (dropped from the object)."""
    return pc.binary_join_element_wise(f'"{key}":', pc.cast(values, pa.string()), "")


def flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values

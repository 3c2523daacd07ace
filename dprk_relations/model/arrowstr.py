"""Column-wise string operations on Arrow, for columns of a million cells.

pandas' object columns make a Python call per cell; these helpers hand the
whole column to pyarrow's compute kernels (RE2 regular expressions, hash
lookups) and return numpy arrays. Where Python semantics differ from RE2's
(a pattern with classes like \\d or lookarounds), callers fall back to Python,
once per distinct value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING = pd.StringDtype("pyarrow")
# Characters that Python's str.isspace() accepts; RE2's \s knows only ASCII ones.
PY_SPACE = ("\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
            "\\x{202f}\\x{205f}\\x{3000}")


def arrow(series: pd.Series) -> pa.ChunkedArray:
    """The column as an Arrow string array (missing cells as nulls)."""
    data = cells(series)
    return data if data.type == pa.string() else pc.cast(data, pa.string())


def cells(series: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow strings without a copy: ``large_string``, as pandas keeps
    them (or ``string``). :func:`arrow` casts to ``string``, which copies the offsets:
    right for writing a release, wasted on a check."""
    arr = series.array
    if hasattr(arr, "_pa_array"):
        data = arr._pa_array
        return data if _is_text(data.type) else pc.cast(data, pa.large_string())
    return pa.chunked_array([pa.array(series.astype(object).where(series.notna(), None), type=pa.large_string())])


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def offsets(chunk: pa.Array) -> np.ndarray:
    """The offsets of a (large_)string or (large_)binary array, as numpy, without a copy."""
    wide = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    kind, size = (np.int64, 8) if wide else (np.int32, 4)
    return np.frombuffer(chunk.buffers()[1], dtype=kind, count=len(chunk) + 1, offset=chunk.offset * size)


def as_strings(series: pd.Series) -> pd.Series:
    """The column with the Arrow-backed string dtype the checks expect."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow" and series.dtype.na_value is pd.NA:
        return series
    return pd.Series(pd.array(cells(series), dtype=STRING), index=series.index, name=series.name)


def to_bool(result) -> np.ndarray:
    """A (chunked) boolean Arrow array as numpy, nulls as False."""
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def isin(series: pd.Series, values) -> np.ndarray:
    """Each cell is one of ``values`` (a Series of strings, or any iterable)."""
    if isinstance(values, pd.Series):
        value_set = cells(values).combine_chunks()
    else:
        value_set = pa.array([str(v) for v in values], type=pa.string())
    return to_bool(pc.is_in(cells(series), value_set=value_set))


def all_distinct(series: pd.Series) -> bool:
    """No value occurs twice (missing cells aside)."""
    arr = cells(series).drop_null()
    if len(arr) < 2:
        return True
    if not pc.all(pc.less(arr[:-1], arr[1:])).as_py():  # raw files are in key order: then one pass tells
        arr = arr.take(pc.sort_indices(arr))
        return not pc.any(pc.equal(arr[:-1], arr[1:])).as_py()
    return True


def is_empty(series: pd.Series) -> np.ndarray:
    """The cell is the empty string (missing cells: False)."""
    return to_bool(pc.equal(pc.binary_length(cells(series)), 0))


def is_missing(series: pd.Series, missing_values) -> np.ndarray:
    """The cell is null or one of ``missing_values``. The usual [""] needs only
    the string lengths, not a hash of every cell."""
    arr = cells(series)
    missing = list(missing_values)
    hit = pc.equal(pc.binary_length(arr), 0) if missing == [""] else \
        pc.is_in(arr, value_set=pa.array([str(v) for v in missing], type=pa.string()))
    out = to_bool(hit)
    if arr.null_count:
        out |= to_bool(pc.is_null(arr))
    return out


def has_byte(arr: pa.ChunkedArray, byte: bytes) -> bool:
    """Does any cell hold this ASCII byte? One scan of the string buffers (never part of
    another UTF-8 character), no call per cell."""
    for chunk in arr.chunks:
        if len(chunk) == 0:
            continue
        data = chunk.buffers()[2]
        if data is None:
            continue
        bounds = offsets(chunk)
        if memoryview(data)[bounds[0]:bounds[-1]].tobytes().find(byte) >= 0:
            return True
    return False


def search(series: pd.Series, pattern: str) -> np.ndarray:
    """RE2 search of ``pattern`` in each cell (null cells: False)."""
    return to_bool(pc.match_substring_regex(cells(series), pattern))


# What str.isspace() accepts, listed (computing it costs a tenth of a second at import).
PY_SPACES = [chr(c) for c in (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                              0x2028, 0x2029, 0x202F, 0x205F, 0x3000)]


def _end_bytes(arr: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first byte, last byte, cell is present and non-empty) of every cell, read
    straight from the Arrow buffers: no copy of the strings, no call per cell."""
    firsts, lasts, oks = [], [], []
    for chunk in arr.chunks:
        n = len(chunk)
        if n == 0:
            continue
        data_buf = chunk.buffers()[2]
        bounds = offsets(chunk)
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None and data_buf.size else np.zeros(1, np.uint8)
        starts, ends = bounds[:-1], bounds[1:]
        ok = ends > starts
        if chunk.null_count:
            ok &= np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        firsts.append(data[np.where(ok, starts, 0)])
        lasts.append(data[np.where(ok, ends - 1, 0)])
        oks.append(ok)
    if not oks:
        return np.zeros(0, np.uint8), np.zeros(0, np.uint8), np.zeros(0, bool)
    return np.concatenate(firsts), np.concatenate(lasts), np.concatenate(oks)


def first_or_last_in(series: pd.Series, first: list[str], last: list[str]) -> np.ndarray:
    """The first character is in ``first`` or the last one in ``last``.

    A byte table finds the candidates (a cell whose first byte is the first byte
    of one of ``first``, or whose last byte is the last byte of one of ``last``);
    only those few are then looked at as characters."""
    return first_or_last_in_arrow(cells(series), first, last)


def first_or_last_in_arrow(arr: pa.ChunkedArray | pa.Array, first: list[str], last: list[str]) -> np.ndarray:
    """:func:`first_or_last_in` for an Arrow string array."""
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr], type=arr.type)
    if not _is_text(arr.type):
        arr = pc.cast(arr, pa.large_string())
    head_bytes, tail_bytes, ok = _end_bytes(arr)
    lut_first = np.zeros(256, dtype=bool)
    lut_first[[c.encode("utf-8")[0] for c in first]] = True
    lut_last = np.zeros(256, dtype=bool)
    lut_last[[c.encode("utf-8")[-1] for c in last]] = True
    candidates = np.flatnonzero(ok & (lut_first[head_bytes] | lut_last[tail_bytes]))
    out = np.zeros(len(ok), dtype=bool)
    if len(candidates):
        firsts, lasts = set(first), set(last)
        cells = arr.take(pa.array(candidates)).to_pylist()
        out[candidates] = [c[:1] in firsts or c[-1:] in lasts for c in cells]
    return out


def lengths(series: pd.Series) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.utf8_length(cells(series)), 0).to_numpy(zero_copy_only=False))


_RE2_UNSAFE = re.compile(r"\\[dDwWsSbBAZz0-9]|\(\?[=!<P]|\(\?[aiLmsux]")


def python_match(series: pd.Series, mask: np.ndarray, pattern: str) -> np.ndarray:
    """``re.match(pattern, cell) is not None`` for the cells under ``mask``,
    exactly as Python computes it: RE2 where its semantics are Python's, Python
    once per distinct value otherwise."""
    out = np.zeros(len(series), dtype=bool)
    if not mask.any():
        return out
    if not _RE2_UNSAFE.search(pattern):
        try:
            # re.match anchors at the start; Python's $ also matches before a final newline.
            anchored = f"^(?:{pattern})"
            arr, rows = cells(series), None
            if np.count_nonzero(mask) < len(mask) // 2:
                # A sparse column (an optional reference): RE2 costs about as much for an
                # empty cell as for a full one, so only the cells under the mask are matched.
                rows = np.flatnonzero(mask)
                arr = arr.take(pa.array(rows, type=pa.int64()))
            if len(arr) >= FEW_VALUES_MIN_CELLS and _few_values(arr):
                # A reference to a small table (an actor, a source): each value matched once.
                codes = pc.dictionary_encode(arr.combine_chunks())
                hit = _re_match(codes.dictionary, anchored)[pc.fill_null(codes.indices, 0).to_numpy()]
            else:
                hit = _re_match(arr, anchored)
            if rows is None:
                return hit & mask
            out[rows] = hit
            return out
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # a construct RE2 does not know: Python decides
    rx = re.compile(pattern)
    ok, _ = via_uniques(series, mask, lambda v: 1.0 if rx.match(v) else None)
    return ok


# A column of at least this many cells whose first FEW_VALUES_HEAD cells hold at most
# FEW_VALUES_MAX distinct values is matched once per distinct value (a hash pass costs
# a third of a regular expression's).
FEW_VALUES_MIN_CELLS = 4096
FEW_VALUES_HEAD = 1024
FEW_VALUES_MAX = 64


def _few_values(arr: pa.ChunkedArray) -> bool:
    return pc.count_distinct(arr.slice(0, FEW_VALUES_HEAD)).as_py() <= FEW_VALUES_MAX


def _re_match(arr, anchored: str) -> np.ndarray:
    """RE2 search of ``anchored`` (a pattern starting with ^) in each cell, as Python's
    re.match with $: which also matches before a final newline."""
    hit = to_bool(pc.match_substring_regex(arr, anchored))
    if has_byte(arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr]), b"\n"):
        tail = to_bool(pc.ends_with(arr, "\n"))
        if tail.any():
            hit |= tail & to_bool(pc.match_substring_regex(pc.utf8_slice_codeunits(arr, 0, -1), anchored))
    return hit


def via_uniques(series: pd.Series, mask: np.ndarray, fn) -> tuple[np.ndarray, np.ndarray]:
    """``fn(str) -> float | None`` once per distinct value under ``mask``.

    Returns (fn gave a value, the value as float); a NaN result counts as given."""
    n = len(series)
    ok = np.zeros(n, dtype=bool)
    out = np.full(n, np.nan)
    if not mask.any():
        return ok, out
    values = cells(series)
    chosen = values.filter(pa.array(mask))
    uniques = pc.unique(chosen).drop_null()
    results = [fn(v) for v in uniques.to_pylist()]
    given = np.array([r is not None for r in results] + [False], dtype=bool)
    numbers = np.array([np.nan if r is None else r for r in results] + [np.nan], dtype="float64")
    idx = pc.fill_null(pc.index_in(values, value_set=uniques), len(results)).to_numpy(zero_copy_only=False)
    idx = np.where(mask, idx, len(results))
    return given[idx], numbers[idx]

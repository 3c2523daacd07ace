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
    arr = series.array
    if hasattr(arr, "_pa_array"):
        data = arr._pa_array
        return data if data.type == pa.string() else pc.cast(data, pa.string())
    return pa.chunked_array([pa.array(series.astype(object).where(series.notna(), None), type=pa.string())])


def as_strings(series: pd.Series) -> pd.Series:
    """The column with the Arrow-backed string dtype the checks expect."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow" and series.dtype.na_value is pd.NA:
        return series
    return pd.Series(pd.array(arrow(series), dtype=STRING), index=series.index, name=series.name)


def to_bool(result) -> np.ndarray:
    """A (chunked) boolean Arrow array as numpy, nulls as False."""
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def isin(series: pd.Series, values) -> np.ndarray:
    """Each cell is one of ``values`` (a Series of strings, or any iterable)."""
    if isinstance(values, pd.Series):
        value_set = arrow(values).combine_chunks()
    else:
        value_set = pa.array([str(v) for v in values], type=pa.string())
    return to_bool(pc.is_in(arrow(series), value_set=value_set))


def search(series: pd.Series, pattern: str) -> np.ndarray:
    """RE2 search of ``pattern`` in each cell (null cells: False)."""
    return to_bool(pc.match_substring_regex(arrow(series), pattern))


# What str.isspace() accepts, listed (computing it costs a tenth of a second at import).
PY_SPACES = [chr(c) for c in (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                              0x2028, 0x2029, 0x202F, 0x205F, 0x3000)]


def first_or_last_in(series: pd.Series, first: list[str], last: list[str]) -> np.ndarray:
    """The first character is in ``first`` or the last one in ``last`` (cheaper than a regex)."""
    arr = arrow(series)
    head = pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=pa.array(first, type=pa.string()))
    tail = pc.is_in(pc.utf8_slice_codeunits(arr, -1, 2**31 - 1), value_set=pa.array(last, type=pa.string()))
    return to_bool(head) | to_bool(tail)


def lengths(series: pd.Series) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.utf8_length(arrow(series)), 0).to_numpy(zero_copy_only=False))


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
            hit = search(series, anchored)
            tail = to_bool(pc.ends_with(arrow(series), "\n"))
            if tail.any():
                trimmed = pc.utf8_slice_codeunits(arrow(series), 0, -1)
                hit |= tail & to_bool(pc.match_substring_regex(trimmed, anchored))
            return hit & mask
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # a construct RE2 does not know: Python decides
    rx = re.compile(pattern)
    ok, _ = via_uniques(series, mask, lambda v: 1.0 if rx.match(v) else None)
    return ok


def via_uniques(series: pd.Series, mask: np.ndarray, fn) -> tuple[np.ndarray, np.ndarray]:
    """``fn(str) -> float | None`` once per distinct value under ``mask``.

    Returns (fn gave a value, the value as float); a NaN result counts as given."""
    n = len(series)
    ok = np.zeros(n, dtype=bool)
    out = np.full(n, np.nan)
    if not mask.any():
        return ok, out
    values = arrow(series)
    chosen = values.filter(pa.array(mask))
    uniques = pc.unique(chosen).drop_null()
    results = [fn(v) for v in uniques.to_pylist()]
    given = np.array([r is not None for r in results] + [False], dtype=bool)
    numbers = np.array([np.nan if r is None else r for r in results] + [np.nan], dtype="float64")
    idx = pc.fill_null(pc.index_in(values, value_set=uniques), len(results)).to_numpy(zero_copy_only=False)
    idx = np.where(mask, idx, len(results))
    return given[idx], numbers[idx]

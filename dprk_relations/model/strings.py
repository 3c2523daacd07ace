"""Column-wise operations on columns of raw strings, with Python's semantics.

Raw cells are kept in pandas' Arrow-backed string dtype. Regular expressions
are Python's (``re``), applied once per distinct value: a schema's pattern
means what Python says it means, whichever engine checks it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING = pd.StringDtype("pyarrow")
# What str.isspace() accepts, listed (computing it costs a tenth of a second at import).
PY_SPACES = [chr(c) for c in (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                              0x2028, 0x2029, 0x202F, 0x205F, 0x3000)]


def cells(series: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow strings (missing cells as nulls), for Arrow's set lookups."""
    arr = series.array
    if hasattr(arr, "_pa_array"):
        data = arr._pa_array
        return data if pa.types.is_string(data.type) or pa.types.is_large_string(data.type) \
            else pc.cast(data, pa.large_string())
    return pa.chunked_array([pa.array(series.astype(object).where(series.notna(), None), type=pa.large_string())])


def arrow(series: pd.Series) -> pa.ChunkedArray:
    """The column as an Arrow ``string`` array, as a release writes it."""
    data = cells(series)
    return data if data.type == pa.string() else pc.cast(data, pa.string())


def as_strings(series: pd.Series) -> pd.Series:
    """The column in the string dtype the checks expect."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow" and series.dtype.na_value is pd.NA:
        return series
    return pd.Series(pd.array(cells(series), dtype=STRING), index=series.index, name=series.name)


def to_bool(result) -> np.ndarray:
    """A (chunked) boolean Arrow array as numpy, nulls as False."""
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def isin(series: pd.Series, values) -> np.ndarray:
    """Each cell is one of ``values`` (a Series of strings, or any iterable)."""
    allowed = set(values.dropna().tolist()) if isinstance(values, pd.Series) else {str(v) for v in values}
    return series.isin(allowed).fillna(False).to_numpy(dtype=bool)


def all_distinct(series: pd.Series) -> bool:
    """No value occurs twice (missing cells aside)."""
    return not series.dropna().duplicated().any()


def is_empty(series: pd.Series) -> np.ndarray:
    """The cell is the empty string (missing cells: False)."""
    return (series == "").fillna(False).to_numpy(dtype=bool)


def is_missing(series: pd.Series, missing_values) -> np.ndarray:
    """The cell is null or one of ``missing_values``."""
    data = cells(series)
    markers = pa.array([str(v) for v in missing_values], type=data.type)
    return to_bool(pc.fill_null(pc.or_kleene(pc.is_null(data), pc.is_in(data, value_set=markers)), True))


def via_uniques(series: pd.Series, mask: np.ndarray, fn) -> tuple[np.ndarray, np.ndarray]:
    """``fn(str) -> float | None`` once per distinct value under ``mask``.

    Returns (fn gave a value, the value as float); a NaN result counts as given."""
    n = len(series)
    ok, out = np.zeros(n, dtype=bool), np.full(n, np.nan)
    rows = np.flatnonzero(mask)
    if not len(rows):
        return ok, out
    values = series.iloc[rows].astype(object).tolist()
    results = {v: fn(v) for v in dict.fromkeys(values) if v is not None}
    got = [results.get(v) for v in values]
    ok[rows] = [r is not None for r in got]
    out[rows] = [np.nan if r is None else r for r in got]
    return ok, out


def match(series: pd.Series, mask: np.ndarray, pattern: str) -> np.ndarray:
    """``re.match(pattern, cell)`` for the cells under ``mask``."""
    rx = re.compile(pattern)
    return via_uniques(series, mask, lambda v: 1.0 if rx.match(v) else None)[0]


def search(series: pd.Series, pattern: str) -> np.ndarray:
    """``re.search(pattern, cell)`` in each cell (missing cells: False)."""
    rx = re.compile(pattern)
    return via_uniques(series, series.notna().to_numpy(dtype=bool), lambda v: 1.0 if rx.search(v) else None)[0]


def first_or_last_in(series: pd.Series, first: list[str], last: list[str]) -> np.ndarray:
    """The first character is in ``first`` or the last one in ``last`` (missing cells: False)."""
    data = cells(series)
    head, tail = pc.utf8_slice_codeunits(data, 0, 1), pc.utf8_slice_codeunits(data, -1)
    return to_bool(pc.or_(pc.is_in(head, value_set=pa.array(list(first), type=data.type)),
                          pc.is_in(tail, value_set=pa.array(list(last), type=data.type))))


def lengths(series: pd.Series) -> np.ndarray:
    return series.str.len().fillna(0).to_numpy(dtype="int64")

"""Turn columns of raw strings into typed columns, the way frictionless reads them.

The rules follow frictionless 5 exactly, so that both engines agree on what
is a type error: integers are ``int(cell.strip())``, numbers
``Decimal(cell.strip())``, dates ``strptime(cell, "%Y-%m-%d")``, booleans
the schema's trueValues/falseValues, and a cell equal to one of the
missingValues is missing. Common spellings take a vectorized path; anything
else is decided by the same Python call frictionless makes, once per
distinct value, so cost follows distinct values, not rows.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dprk_relations.model import strings

from dprk_relations.model.package import Field

# A number as a spreadsheet would read it, sign first: never a formula.
PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")
_INT_FAST = r"^-?[0-9]{1,15}$"
_NUM_FAST = r"^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$"
_EPOCH = date(1970, 1, 1).toordinal()


class Cast:
    """A typed column and the masks the checks need.

    ``typed`` is built on first use: checks read only the masks, and copying a
    million strings to null out the missing ones is wasted when nobody asks."""

    def __init__(self, typed, missing: np.ndarray, bad: np.ndarray, order: np.ndarray | None = None):
        self._typed = typed  # a Series, or a function that makes it
        self.missing = missing  # the cell is one of the missing values
        self.bad = bad  # present but not of the field's type
        self.order = order  # float64 for bounds: NaN where absent or NaN; dates as day numbers

    @property
    def typed(self) -> pd.Series:
        """Nullable dtype; <NA> where missing or not of the type."""
        if callable(self._typed):
            self._typed = self._typed()
        return self._typed

    @property
    def ok(self) -> np.ndarray:
        return ~self.missing & ~self.bad


def _slow_int(v: str):
    try:
        return float(int(v.strip()))
    except (ValueError, AttributeError):
        return None


def _slow_number(v: str):
    try:
        d = Decimal(v.strip())
    except (InvalidOperation, ValueError, AttributeError):
        return None
    # float() refuses a signalling NaN; it is still a number that fails every bound
    return float("nan") if d.is_nan() else float(d)


def _slow_date(v: str):
    try:
        return float(datetime.strptime(v, "%Y-%m-%d").date().toordinal())
    except (ValueError, TypeError):
        return None


def _fast_numbers(values: pd.Series, present: np.ndarray, pattern: str, slow_fn):
    """Cells in the plain spelling convert in one Arrow cast; the rest go
    through the Python call frictionless makes, once per distinct value."""
    fast = present & strings.search(values, pattern)
    order = np.full(len(values), np.nan)
    if fast.any():
        cells = pc.if_else(pa.array(fast), strings.cells(values), "0")
        order[fast] = pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)[fast]
    ok_slow, slow_vals = strings.via_uniques(values, present & ~fast, slow_fn)
    order[ok_slow] = slow_vals[ok_slow]
    return fast | ok_slow, order


def cast_field(field: Field, raw: pd.Series, missing_values=("",)) -> Cast:
    values = strings.as_strings(raw)
    missing = strings.is_missing(values, missing_values)
    present = ~missing
    n = len(values)
    kind = field.type
    if kind == "string":
        def text_column():
            if not missing.any():
                return values
            typed = values.copy()
            typed[missing] = pd.NA
            return typed

        return Cast(text_column, missing, np.zeros(n, dtype=bool))
    if kind == "boolean":
        true = strings.isin(values, field.true_values)
        false = strings.isin(values, field.false_values)
        ok = present & (true | false)
        typed = pd.Series(pd.array(true, dtype="boolean"), index=values.index)
        typed[~ok] = pd.NA
        return Cast(typed, missing, present & ~ok)
    if kind in ("integer", "number"):
        if kind == "integer":
            ok, order = _fast_numbers(values, present, _INT_FAST, _slow_int)
            fits = ok & (np.abs(np.nan_to_num(order, nan=np.inf)) < 2**53)
            arr = pd.array(np.where(fits, order, 0).astype("int64"), dtype="Int64")
            arr[~fits] = pd.NA
        else:
            ok, order = _fast_numbers(values, present, _NUM_FAST, _slow_number)
            arr = pd.array(np.where(ok, order, 0.0), dtype="Float64")
            arr[~ok | np.isnan(order)] = pd.NA
        order = np.where(ok, order, np.nan)
        return Cast(pd.Series(arr, index=values.index), missing, present & ~ok, order)
    if kind == "date":
        ok, order = strings.via_uniques(values, present, _slow_date)
        days = np.where(ok, order - _EPOCH, 0).astype("int64")
        typed = pd.Series(days.astype("datetime64[D]").astype("datetime64[s]"), index=values.index)
        typed[~ok] = pd.NaT
        return Cast(typed, missing, present & ~ok, np.where(ok, order, np.nan))
    raise ValueError(f"unsupported type {kind!r}")


def bound_value(field: Field, value) -> float:
    """A schema bound in the float form that Cast.order uses."""
    if field.type == "date":
        return float(datetime.strptime(str(value), "%Y-%m-%d").date().toordinal())
    return float(Decimal(str(value)))


def canonical_spelling(field: Field, value: str) -> str | None:
    """How a valid value should be written, when it is written otherwise."""
    try:
        if field.type == "integer":
            want = str(int(value.strip()))
        elif field.type == "number":
            d = Decimal(value.strip())
            if not d.is_finite():
                return None
            want = format(d, "f")
        elif field.type == "date":
            want = datetime.strptime(value, "%Y-%m-%d").date().isoformat()
        elif field.type == "boolean":
            want = field.true_values[0] if value in field.true_values else field.false_values[0]
        else:
            return None
    except (ValueError, InvalidOperation):
        return None
    return want if want != value else None

"""Turn columns of raw strings into typed columns, the way frictionless reads them.

The rules follow frictionless 5 exactly, so that both engines agree on what
is a type error: integers are ``int(cell.strip())``, numbers
``Decimal(cell.strip())``, dates ``strptime(cell, "%Y-%m-%d")``, booleans
the schema's trueValues/falseValues, and a cell equal to one of the
missingValues is missing. Each distinct value is decided once, by the same
Python call frictionless makes.

:data:`TYPES` is the one table of what each Table Schema type is in every
form a release takes: its pandas dtype when loaded, its Arrow type in
Parquet, its spelling in CSV, and the readr column type the R loader uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
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


def _numbers(values: pd.Series, present: np.ndarray, slow_fn):
    return strings.via_uniques(values, present, slow_fn)


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
            ok, order = _numbers(values, present, _slow_int)
            fits = ok & (np.abs(np.nan_to_num(order, nan=np.inf)) < 2**53)
            arr = pd.array(np.where(fits, order, 0).astype("int64"), dtype="Int64")
            arr[~fits] = pd.NA
        else:
            ok, order = _numbers(values, present, _slow_number)
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


# -- the types of a release ----------------------------------------------------------


def spell_number(x) -> str:
    """A number as its CSV cell: whole numbers without a decimal point, others as Python spells them."""
    x = float(x)
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _days(col: pd.Series) -> np.ndarray:
    return pd.to_datetime(col).to_numpy(dtype="datetime64[D]")


def _levels(field: dict) -> list[str]:
    return [str(v) for v in (field.get("constraints") or {}).get("enum", [])]


def _codes(cells: pd.Series, field: dict) -> pa.Array:
    """Each cell's place among the field's levels (the first, if a level repeats); a value
    that is no level raises KeyError."""
    place: dict[str, int] = {}
    for i, level in enumerate(_levels(field)):
        place.setdefault(level, i)
    return pa.array([None if v is None else place[v] for v in _from_strings(cells)], type=pa.int32())


def _from_strings(cells: pd.Series) -> pd.Series:
    return cells.astype(object).where(cells.notna(), None)


def _to_bool(cells: pd.Series, field: dict) -> pd.Series:
    if cells.map(lambda v: isinstance(v, str)).any():  # from CSV: the schema's spellings
        truth = {v: True for v in field.get("trueValues", ["true"])}
        truth.update({v: False for v in field.get("falseValues", ["false"])})
        cells = cells.map(truth)
    return cells.astype("boolean")


def _to_category(cells: pd.Series, field: dict) -> pd.Series:
    levels, ordered = _levels(field), bool(field.get("categoriesOrdered"))
    if isinstance(cells.dtype, pd.CategoricalDtype):  # from Parquet: a dictionary column, recoded by value
        return cells.cat.set_categories(levels, ordered=ordered)
    return _from_strings(cells).astype(pd.CategoricalDtype(levels, ordered))


def _split(cells: pd.Series, field: dict) -> pd.Series:
    sep = field["x-separator"]
    return cells.map(lambda v: v if isinstance(v, list) else (v.split(sep) if isinstance(v, str) else
                                                               (list(v) if v is not None else None)))


@dataclass(frozen=True)
class FieldType:
    """One Table Schema type in every form a release takes."""

    name: str
    pandas: str  # the dtype load() gives the column
    r_reader: str  # the readr column type datapackage/load.R reads the CSV with
    arrow: Callable[[dict], pa.DataType]  # its type in Parquet, for a field (a schema dict)
    to_arrow: Callable[[pd.Series, dict], pa.Array]  # a typed column -> its Parquet column
    spell: Callable[[pd.Series, dict], pd.Series]  # a typed column (no missing values) -> its CSV cells
    load: Callable[[pd.Series, dict], pd.Series]  # cells read back (CSV strings or Parquet values) -> typed


TYPES: dict[str, FieldType] = {t.name: t for t in (
    FieldType("string", "string", "readr::col_character()", lambda f: pa.string(),
              lambda c, f: pa.array(_from_strings(c), type=pa.string()),
              lambda c, f: c.astype(object), lambda c, f: _from_strings(c).astype("string")),
    # A string field with categories (constraints.enum): ordered where the schema says so.
    FieldType("category", "category", "readr::col_factor(", lambda f: pa.dictionary(pa.int32(), pa.string(),
                                                                                      bool(f.get("categoriesOrdered"))),
              lambda c, f: pa.DictionaryArray.from_arrays(_codes(c, f), pa.array(_levels(f), type=pa.string()),
                                                          ordered=bool(f.get("categoriesOrdered"))),
              lambda c, f: c.astype(object), _to_category),
    # A string field whose cells list values (x-separator): a list column in Parquet and in pandas.
    FieldType("list", "object", "readr::col_character()", lambda f: pa.list_(pa.string()),
              lambda c, f: pa.array(_split(_from_strings(c), f), type=pa.list_(pa.string())),
              lambda c, f: c.map(lambda v: v if isinstance(v, str) else f["x-separator"].join(v)), _split),
    FieldType("integer", "Int64", "readr::col_integer()", lambda f: pa.int64(),
              lambda c, f: pa.array(c.astype("Int64"), type=pa.int64()),
              lambda c, f: c.astype("Int64").map(str), lambda c, f: pd.to_numeric(c).astype("Int64")),
    FieldType("number", "Float64", "readr::col_double()", lambda f: pa.float64(),
              lambda c, f: pa.array(c.astype("Float64"), type=pa.float64()),
              lambda c, f: c.astype("Float64").map(spell_number), lambda c, f: pd.to_numeric(c).astype("Float64")),
    FieldType("boolean", "boolean", "readr::col_character()", lambda f: pa.bool_(),
              lambda c, f: pa.array(c.astype("boolean"), type=pa.bool_()),
              lambda c, f: c.astype("boolean").map(lambda v: "true" if v else "false"), _to_bool),
    # Parquet keeps a calendar date (date32): DuckDB, polars and R see dates; pandas 3 reads
    # them as datetime.date objects unless told otherwise (the release README says how).
    FieldType("date", "datetime64[s]", "readr::col_date(", lambda f: pa.date32(),
              lambda c, f: pa.array(_days(c), type=pa.date32(), mask=c.isna().to_numpy()),
              lambda c, f: pd.to_datetime(c).dt.strftime("%Y-%m-%d"),
              lambda c, f: pd.to_datetime(c, format="%Y-%m-%d").astype("datetime64[s]")),
)}


def arrow_to_pandas() -> dict:
    """The Arrow types that Parquet columns convert from straight to the dtype :data:`TYPES` gives."""
    return {t.arrow({}): pd.api.types.pandas_dtype(t.pandas) for t in TYPES.values()
            if t.name in ("string", "integer", "number", "boolean")}


def field_type(field: dict) -> FieldType:
    """The entry of :data:`TYPES` for a schema field (a dict)."""
    kind = field.get("type", "string")
    if kind == "string" and (field.get("constraints") or {}).get("enum"):
        return TYPES["category"]
    if kind == "string" and field.get("x-separator"):
        return TYPES["list"]
    if kind not in TYPES:
        raise ValueError(f"field {field.get('name')!r}: unknown type {kind!r}")
    return TYPES[kind]


def csv_cells(col: pd.Series, field: dict) -> pd.Series:
    """A typed column as the strings its CSV cells hold ("" when missing)."""
    present = col.notna().to_numpy(dtype=bool)
    cells = np.full(len(col), "", dtype=object)
    if present.any():  # numpy, not a pandas setitem: the release's biggest columns pass here
        cells[present] = field_type(field).spell(col[present], field).to_numpy(dtype=object)
    return pd.Series(cells, index=col.index, dtype=object)

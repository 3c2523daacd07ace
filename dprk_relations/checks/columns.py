"""Every Table Schema constraint as a column-wise function: the definitions that
the pandera translation wraps in pandera Checks.

Each function takes the column (raw strings, missing values as nulls) and its
:class:`~dprk_relations.model.types.Cast`, and returns a boolean array: True where the
cell passes. As in frictionless, a cell that is missing or not of its type
passes every constraint but ``required`` and ``type``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dprk_relations.model import strings
from dprk_relations.model.types import Cast, bound_value
from dprk_relations.model.package import Field, ForeignKey, Table
from dprk_relations.checks.common import CONSTRAINT_RULES

_BOUNDS = {
    "minimum": np.greater_equal,
    "maximum": np.less_equal,
    "exclusiveMinimum": np.greater,
    "exclusiveMaximum": np.less,
}
ColumnCheck = Callable[[pd.Series, Cast], np.ndarray]


def field_checks(field: Field) -> list[tuple[str, ColumnCheck]]:
    """(rule, check) for every constraint of ``field`` except ``required``."""
    # Every cell is a string: a string field has no type to fail (and pandera's cost is per check).
    checks: list[tuple[str, ColumnCheck]] = [] if field.type == "string" else [("type", lambda s, c: ~c.bad)]
    con = field.constraints
    if "enum" in con:
        if field.type == "string":
            allowed = [str(v) for v in con["enum"]]
            checks.append(("enum", lambda s, c, a=allowed: ~c.ok | strings.isin(s, a)))
        else:
            allowed = np.array([bound_value(field, v) for v in con["enum"]])
            checks.append(("enum", lambda s, c, a=allowed: ~c.ok | np.isin(c.order, a)))
    if "pattern" in con and field.type == "string":
        # frictionless compiles "^{pattern}$" and calls re.match: the same, column-wise.
        rx = "^{0}$".format(con["pattern"])
        checks.append(("pattern", lambda s, c, rx=rx: ~c.ok | strings.match(s, c.ok, rx)))
    for key in ("minLength", "maxLength"):
        if key in con and field.type == "string":
            op = np.greater_equal if key == "minLength" else np.less_equal
            checks.append((CONSTRAINT_RULES[key],
                           lambda s, c, n=int(con[key]), op=op: ~c.ok | op(strings.lengths(s), n)))
    for key, op in _BOUNDS.items():
        if key in con and field.type in ("integer", "number", "date"):
            limit = bound_value(field, con[key])

            def bound(s, c, op=op, limit=limit):
                with np.errstate(invalid="ignore"):
                    return ~c.ok | op(c.order, limit)

            checks.append((CONSTRAINT_RULES[key], bound))
    if con.get("unique"):
        checks.append(("unique", lambda s, c: s.isna().to_numpy() | ~s.duplicated(keep="first").to_numpy()))
    return checks


def required(series: pd.Series) -> np.ndarray:
    return series.notna().to_numpy()


def primary_key(table: Table, frame: pd.DataFrame) -> np.ndarray:
    """False where a complete key repeats an earlier row's (an incomplete one is `required`'s to report)."""
    pk = list(table.primary_key)
    if len(pk) == 1 and strings.all_distinct(frame[pk[0]]):
        return np.ones(len(frame), dtype=bool)  # the usual case, told in one pass (an empty key is `required`'s)
    return frame[pk].isna().any(axis=1).to_numpy() | ~frame[pk].duplicated(keep="first").to_numpy()


def foreign_key(fk: ForeignKey, frame: pd.DataFrame, target: pd.DataFrame) -> np.ndarray:
    """True where the key is incomplete or found among the target's keys."""
    if len(fk.fields) == 1:  # the usual case: one hash lookup in Arrow, no frame copied
        cells = strings.cells(frame[fk.fields[0]])
        keys = strings.cells(target[fk.reference_fields[0]]).drop_null().combine_chunks()
        return strings.to_bool(pc.is_null(cells)) | strings.to_bool(pc.is_in(cells, value_set=keys))
    wanted = target[list(fk.reference_fields)].dropna()
    sub = frame[list(fk.fields)]
    absent = sub.isna().any(axis=1).to_numpy()
    return absent | pd.MultiIndex.from_frame(sub).isin(pd.MultiIndex.from_frame(wanted))


def as_nulls(frame: pd.DataFrame, missing_values) -> pd.DataFrame:
    """The cells with missing values as nulls, as the constraint checks expect."""
    missing = list(missing_values)
    out = {}
    for name in frame.columns:
        col = frame[name]
        gone = strings.is_missing(col, missing)
        if gone.any():
            values = strings.cells(col)
            nulled = pc.if_else(pa.array(gone), pa.scalar(None, values.type), values)
            col = pd.Series(pd.array(nulled, dtype=strings.STRING), index=col.index, name=name)
        out[name] = col
    return pd.DataFrame(out, index=frame.index)


def first_lines(keys: pd.Series, lines) -> dict:
    """Key -> spreadsheet row of its first occurrence (frames have a RangeIndex)."""
    firsts = pd.Series(keys.index, index=keys.index).groupby(keys.to_numpy(), sort=False).min()
    return {k: lines[int(i)] for k, i in firsts.items()}

"""The fast engine: Table Schemas translated to pandera, checked column-wise.

``pandera.io.from_frictionless_schema`` drops foreign keys, missing values,
true/false values and exclusive bounds, and reads dates as strings, so the
translation is our own: every Table Schema type and constraint becomes a
pandera Check named after the rule it enforces. The frame pandera sees holds
the raw strings, with missing values as nulls; each check parses the column
with :mod:`datapackage.cast`, which reads values the way frictionless does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .. import arrowstr
from ..cast import Cast, bound_value, cast_field
from ..csvio import RawTable
from ..package import Field, Package, Table
from .common import CONSTRAINT_RULES, schema_problem

_BOUNDS = {
    "minimum": np.greater_equal,
    "maximum": np.less_equal,
    "exclusiveMinimum": np.greater,
    "exclusiveMaximum": np.less,
}


class _Casts:
    """Parse each column once per run, however many checks read it."""

    def __init__(self, table: Table, typed=None):
        self.table = table
        self.cache: dict[str, Cast] = {}
        self.typed = typed  # checks.typed.Typed of the same cells: share its parsed columns

    def get(self, field: Field, series: pd.Series) -> Cast:
        got = self.cache.get(field.name)
        if got is None and self.typed is not None and len(self.typed.frame) == len(series):
            # Missing values arrive here as nulls and there as the schema's strings: same cast.
            got = self.cache[field.name] = self.typed.cast(field.name)
        if got is None or len(got.missing) != len(series):
            # Missing values arrive as nulls, which cast_field counts as missing.
            got = cast_field(field, series, self.table.missing_values)
            self.cache[field.name] = got
        return got


def _check(fn, name: str) -> pa.Check:
    """A pandera check from a function returning a boolean array (True = passes)."""
    return pa.Check(lambda obj: pd.Series(np.asarray(fn(obj), dtype=bool), index=obj.index),
                    name=name, ignore_na=False)


def field_checks(field: Field, casts: _Casts) -> list[pa.Check]:
    """The pandera checks for one Table Schema field (not required: that is nullable)."""
    checks = [_check(lambda s, f=field: ~casts.get(f, s).bad, "type")]
    c = field.constraints
    if "enum" in c:
        if field.type == "string":
            allowed = [str(v) for v in c["enum"]]
            checks.append(_check(lambda s, f=field, a=allowed: ~casts.get(f, s).ok | arrowstr.isin(s, a), "enum"))
        else:
            allowed = np.array([bound_value(field, v) for v in c["enum"]])
            checks.append(_check(lambda s, f=field, a=allowed: ~casts.get(f, s).ok | np.isin(casts.get(f, s).order, a),
                                 "enum"))
    if "pattern" in c and field.type == "string":
        # frictionless compiles "^{pattern}$" and calls re.match: the same, column-wise.
        rx = "^{0}$".format(c["pattern"])

        def pattern(s, f=field, rx=rx):
            ok = casts.get(f, s).ok
            return ~ok | arrowstr.python_match(s, ok, rx)

        checks.append(_check(pattern, "pattern"))
    for key in ("minLength", "maxLength"):
        if key in c and field.type == "string":
            op = np.greater_equal if key == "minLength" else np.less_equal
            checks.append(_check(lambda s, f=field, n=int(c[key]), op=op: ~casts.get(f, s).ok | op(
                arrowstr.lengths(s), n), CONSTRAINT_RULES[key]))
    for key, op in _BOUNDS.items():
        if key in c and field.type in ("integer", "number", "date"):
            limit = bound_value(field, c[key])

            def bound(s, f=field, op=op, limit=limit):
                cast = casts.get(f, s)
                with np.errstate(invalid="ignore"):
                    return ~cast.ok | op(cast.order, limit)

            checks.append(_check(bound, CONSTRAINT_RULES[key]))
    if c.get("unique"):
        checks.append(_check(lambda s: s.isna().to_numpy() | ~s.duplicated(keep="first").to_numpy(), "unique"))
    return checks


def to_pandera(table: Table, casts: _Casts | None = None, references: dict | None = None) -> pa.DataFrameSchema:
    """Translate a Table Schema into a pandera DataFrameSchema over raw strings.

    ``references`` maps a foreign key's resource name to the frame of raw
    strings it points into; foreign keys to resources not given are left out
    (the caller says so in the report).
    """
    casts = casts or _Casts(table)
    columns = {
        f.name: pa.Column(
            dtype=None,
            nullable=not f.required,
            checks=field_checks(f, casts),
            required=True,
            name=f.name,
        )
        for f in table.fields
    }
    frame_checks = []
    if table.primary_key:
        pk = list(table.primary_key)
        frame_checks.append(_check(
            lambda df, pk=pk: df[pk].isna().any(axis=1).to_numpy() | ~df[pk].duplicated(keep="first").to_numpy(),
            "primary-key"))
    for fk in table.foreign_keys:
        target = (references or {}).get(fk.resource)
        if target is None:
            continue
        wanted = target[list(fk.reference_fields)].dropna()
        keys = pd.MultiIndex.from_frame(wanted) if len(fk.fields) > 1 else wanted.iloc[:, 0]

        def fk_check(df, fk=fk, keys=keys):
            sub = df[list(fk.fields)]
            absent = sub.isna().any(axis=1).to_numpy()
            if len(fk.fields) == 1:
                return absent | arrowstr.isin(sub.iloc[:, 0], keys)
            return absent | pd.MultiIndex.from_frame(sub).isin(keys)

        frame_checks.append(_check(fk_check, f"foreign-key:{','.join(fk.fields)}"))
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False, coerce=False, name=table.name)


def _as_nulls(raw: RawTable) -> pd.DataFrame:
    """The cells with missing values as nulls, which pandera's nullable check reads."""
    frame = raw.frame
    missing = list(raw.table.missing_values)
    out = {}
    for name in frame.columns:
        col = frame[name]
        gone = arrowstr.isin(col, missing)
        out[name] = col.where(~gone, None) if gone.any() else col
    return pd.DataFrame(out, index=frame.index)


def check(package: Package, raws: dict[str, RawTable], typed: dict | None = None) -> list:
    usable = {name: r for name, r in raws.items() if r.usable}
    nulled = {name: _as_nulls(r) for name, r in usable.items()}
    problems = []
    for name, raw in usable.items():
        table = raw.table
        frame = nulled[name]
        casts = _Casts(table, (typed or {}).get(name))
        schema = to_pandera(table, casts, nulled)
        try:
            schema.validate(frame, lazy=True)
            continue
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
        problems += _to_problems(table, raw, frame, cases)
    return problems


def _first_lines(keys: pd.Series, lines) -> dict:
    """Key -> spreadsheet row of its first occurrence."""
    # frames carry a RangeIndex, so an index label is a row position
    firsts = pd.Series(keys.index, index=keys.index).groupby(keys.to_numpy(), sort=False).min()
    return {k: lines[int(i)] for k, i in firsts.items()}


def _to_problems(table: Table, raw: RawTable, frame: pd.DataFrame, cases: pd.DataFrame) -> list:
    out = []
    lines = raw.lines
    # Frame-level checks report one case per column of a failing row: keep one.
    cases = cases[cases["index"].notna()]
    seen = set()
    firsts: dict = {}
    for case in cases.itertuples(index=False):
        idx = int(case.index)
        check_name = str(case.check)
        column = None if pd.isna(case.column) else case.column
        frame_level = check_name == "primary-key" or check_name.startswith("foreign-key:")
        marker = (check_name, idx, None if frame_level else column)
        if marker in seen:
            continue
        seen.add(marker)
        line = lines[idx]
        if check_name.startswith("foreign-key:"):
            fk = next(f for f in table.foreign_keys if ",".join(f.fields) == check_name.split(":", 1)[1])
            value = ",".join(str(frame.at[idx, k]) for k in fk.fields)
            out.append(schema_problem("foreign-key", table, None, line, value, fk=fk))
        elif check_name == "primary-key":
            pk = list(table.primary_key)
            if "pk" not in firsts:
                keys = frame[pk].astype(str).agg(",".join, axis=1) if len(pk) > 1 else frame[pk[0]]
                firsts["pk"] = (keys, _first_lines(keys, lines))
            keys, first = firsts["pk"]
            out.append(schema_problem("primary-key", table, None, line, keys.iat[idx], first_line=first[keys.iat[idx]]))
        elif check_name == "unique":
            field = table.field(column)
            if column not in firsts:
                firsts[column] = _first_lines(frame[column].dropna(), lines)
            value = frame.at[idx, column]
            out.append(schema_problem("unique", table, field, line, value, first_line=firsts[column][value]))
        else:
            field = table.field(column)
            rule = "required" if check_name == "not_nullable" else check_name
            value = None if rule == "required" else frame.at[idx, column]
            out.append(schema_problem(rule, table, field, line, value))
    return out

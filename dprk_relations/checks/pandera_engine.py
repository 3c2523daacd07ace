"""Table Schemas translated to pandera, checked column-wise.

``pandera.io.from_frictionless_schema`` drops foreign keys, missing values,
true/false values and exclusive bounds, and reads dates as strings, so the
translation is our own: every Table Schema type and constraint becomes a
pandera Check named after the rule it enforces, wrapping the column-wise
definitions of :mod:`.columns`.
The frame pandera sees holds the raw strings, with missing values as nulls;
each check parses its column with :mod:`dprk_relations.model.types`, which reads values
the way frictionless does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from dprk_relations.model.types import Cast, cast_field
from dprk_relations.model.csvfile import RawTable
from dprk_relations.model.package import Field, Package, Table
from dprk_relations.checks import columns
from dprk_relations.checks.failures import Failures


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
    return [_check(lambda s, fn=fn, f=field: fn(s, casts.get(f, s)), rule)
            for rule, fn in columns.field_checks(field)]


def to_pandera(table: Table, casts: _Casts | None = None, references: dict | None = None) -> pa.DataFrameSchema:
    """Translate a Table Schema into a pandera DataFrameSchema over raw strings.

    ``references`` maps a foreign key's resource name to the frame of raw
    strings it points into; foreign keys to resources not given are left out
    (the caller says so in the report).
    """
    casts = casts or _Casts(table)
    cols = {
        f.name: pa.Column(dtype=None, nullable=not f.required, checks=field_checks(f, casts), required=True,
                          name=f.name)
        for f in table.fields
    }
    frame_checks = []
    if table.primary_key:
        frame_checks.append(_check(lambda df: columns.primary_key(table, df), "primary-key"))
    for fk in table.foreign_keys:
        target = (references or {}).get(fk.resource)
        if target is not None:
            frame_checks.append(_check(lambda df, fk=fk, target=target: columns.foreign_key(fk, df, target),
                                       f"foreign-key:{','.join(fk.fields)}"))
    return pa.DataFrameSchema(cols, checks=frame_checks, strict=False, coerce=False, name=table.name)


def check(package: Package, raws: dict[str, RawTable], typed: dict | None = None) -> list:
    usable = {name: r for name, r in raws.items() if r.usable}
    nulled = {name: columns.as_nulls(r.frame, r.table.missing_values) for name, r in usable.items()}
    problems = []
    for name, raw in usable.items():
        frame = nulled[name]
        schema = to_pandera(raw.table, _Casts(raw.table, (typed or {}).get(name)), nulled)
        try:
            schema.validate(frame, lazy=True)
            continue
        except pa.errors.SchemaErrors as exc:
            problems += _to_problems(raw, frame, exc.failure_cases)
    return problems


def _to_problems(raw: RawTable, frame: pd.DataFrame, cases: pd.DataFrame) -> list:
    table = raw.table
    failures = Failures(table, frame, raw.lines)
    # Frame-level checks report one case per column of a failing row: keep one.
    cases = cases[cases["index"].notna()]
    seen = set()
    for case in cases.itertuples(index=False):
        idx = int(case.index)
        check_name = str(case.check)
        column = None if pd.isna(case.column) else case.column
        frame_level = check_name == "primary-key" or check_name.startswith("foreign-key:")
        marker = (check_name, idx, None if frame_level else column)
        if marker in seen:
            continue
        seen.add(marker)
        if check_name.startswith("foreign-key:"):
            fk = next(f for f in table.foreign_keys if ",".join(f.fields) == check_name.split(":", 1)[1])
            failures.add("foreign-key", None, [idx], fk=fk)
        elif check_name == "primary-key":
            failures.add("primary-key", None, [idx])
        else:
            failures.add("required" if check_name == "not_nullable" else check_name, column, [idx])
    return failures.problems

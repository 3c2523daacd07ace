"""The fast engine: the column-wise checks of :mod:`.columns` run directly on
Arrow-backed columns, without pandera's bookkeeping or its import, for tables
of millions of rows. It reports exactly what the pandera translation reports
(both wrap the same definitions; the tests compare all three engines)."""

from __future__ import annotations

import numpy as np

from dprk_relations.model.csvfile import RawTable
from dprk_relations.model.package import Package
from dprk_relations.checks import columns
from dprk_relations.checks.failures import Failures


def check(package: Package, raws: dict[str, RawTable], typed: dict) -> list:
    usable = {name: r for name, r in raws.items() if r.usable}
    nulled = {name: columns.as_nulls(r.frame, r.table.missing_values) for name, r in usable.items()}
    problems = []
    for name, raw in usable.items():
        table, frame, t = raw.table, nulled[name], typed[name]
        failures = Failures(table, frame, raw.lines)
        for field in table.fields:
            series = frame[field.name]
            cast = t.cast(field.name)
            if field.required:
                failures.add("required", field.name, np.flatnonzero(~columns.required(series)))
            for rule, fn in columns.field_checks(field):
                failures.add(rule, field.name, np.flatnonzero(~np.asarray(fn(series, cast), dtype=bool)))
        if table.primary_key:
            failures.add("primary-key", None, np.flatnonzero(~columns.primary_key(table, frame)))
        for fk in table.foreign_keys:
            if fk.resource in nulled:
                failures.add("foreign-key", None, np.flatnonzero(~columns.foreign_key(fk, frame, nulled[fk.resource])),
                              fk=fk)
        problems += failures.problems
    return problems

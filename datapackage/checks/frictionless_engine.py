"""The reference engine: frictionless checks the descriptor and every row.

frictionless reads the same cells the fast engine reads (the strings that
:mod:`datapackage.csvio` found, with columns matched by name and blank rows
set aside), passed to it as inline data; its errors are mapped onto the
shared rule names and spreadsheet row numbers.
"""

from __future__ import annotations

import copy
import re

from ..csvio import RawTable
from ..package import DESCRIPTOR, Package
from ..problems import problem
from .common import CONSTRAINT_RULES, schema_problem

V2_PACKAGE = "https://datapackage.org/profiles/2.0/datapackage.json"
_CONSTRAINT = re.compile(r'constraint "(\w+)"')
_ROW = re.compile(r"row at position (\d+)")
# frictionless 5.21 raises decimal.InvalidOperation on a signalling NaN that
# meets a bound; a signalling NaN is a NaN for every other purpose.
_SNAN = re.compile(r"^\s*[+-]?snan\d*\s*$", re.IGNORECASE)


def _clean_schema(schema: dict, keep_fks_to: set) -> dict:
    schema = copy.deepcopy(schema)
    schema.setdefault("$schema", "https://datapackage.org/profiles/2.0/tableschema.json")
    schema["foreignKeys"] = [fk for fk in schema.get("foreignKeys", [])
                             if fk.get("reference", {}).get("resource") in keep_fks_to]
    return schema


def descriptor_problems(package: Package) -> list:
    """frictionless' own verdict on datapackage.json and the schemas it points to."""
    from frictionless import Package as FPackage

    try:
        report = FPackage.validate_descriptor(str((package.root / DESCRIPTOR).resolve()))
    except Exception as exc:  # noqa: BLE001 - frictionless fails on some descriptors: that is the verdict
        return [problem("descriptor", file=DESCRIPTOR,
                        detail=f"frictionless cannot read the descriptor: {type(exc).__name__}: {exc}")]
    return [problem("descriptor", file=DESCRIPTOR, detail=f"frictionless: {e.message}")
            for task in report.tasks for e in task.errors] + \
        [problem("descriptor", file=DESCRIPTOR, detail=f"frictionless: {e.message}") for e in report.errors]


def check(package: Package, raws: dict[str, RawTable]) -> list:
    from frictionless import Package as FPackage

    usable = {name: r for name, r in raws.items() if r.usable}
    resources = []
    for name, raw in usable.items():
        table = raw.table
        numeric = {f.name for f in table.fields if f.type in ("number", "integer")}
        frame = raw.frame.copy()
        for col in numeric:
            frame[col] = frame[col].map(lambda v: "NaN" if _SNAN.match(v) else v)
        rows = [table.field_names] + frame[table.field_names].values.tolist()
        resources.append({"name": name, "type": "table", "data": rows,
                          "schema": _clean_schema(table.schema, set(usable))})
    if not resources:
        return []
    try:
        fpkg = FPackage({"$schema": V2_PACKAGE, "name": "check", "resources": resources})
        report = fpkg.validate()
    except Exception as exc:  # noqa: BLE001 - a schema frictionless refuses or fails on: say so, fail closed
        return [problem("descriptor", file=DESCRIPTOR, column="resources",
                        detail=f"frictionless cannot read the schemas: {type(exc).__name__}: {exc}")]
    problems = []
    for task in report.tasks:
        raw = usable.get(task.name) or usable.get(task.resource.name if hasattr(task, "resource") else "")
        for err in task.errors:
            p = _map(err, raw)
            if p is not None:
                problems.append(p)
    return problems


def _map(err, raw: RawTable):
    table = raw.table
    row = getattr(err, "row_number", None)
    if row is None:
        return problem("descriptor", file=table.schema_path or DESCRIPTOR, detail=f"frictionless: {err.message}")
    line = raw.lines[row - 2]
    kind = err.type
    if kind == "type-error":
        return schema_problem("type", table, table.field(err.field_name), line, err.cell)
    if kind == "constraint-error":
        name = _CONSTRAINT.search(err.note).group(1)
        field = table.field(err.field_name)
        rule = CONSTRAINT_RULES[name]
        return schema_problem(rule, table, field, line, None if rule == "required" else err.cell)
    if kind in ("primary-key", "unique-error"):
        m = _ROW.search(err.note)
        if not m:  # "all None": the required constraint has reported it
            return None
        first = raw.lines[int(m.group(1)) - 2]
        if kind == "unique-error":
            return schema_problem("unique", table, table.field(err.field_name), line, err.cell, first_line=first)
        keys = [err.cells[table.field_names.index(k)] for k in table.primary_key]
        return schema_problem("primary-key", table, None, line, ",".join(keys), first_line=first)
    if kind == "foreign-key":
        fk = next((f for f in table.foreign_keys if all(f'"{k}"' in err.note for k in f.fields)), None)
        if fk is None:
            fk = table.foreign_keys[0]
        value = ",".join(err.cells[table.field_names.index(k)] for k in fk.fields)
        return schema_problem("foreign-key", table, None, line, value, fk=fk)
    return problem("descriptor", file=table.path, line=line, detail=f"frictionless {kind}: {err.message}")

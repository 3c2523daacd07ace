"""The reference engine: frictionless checks the descriptor and every row.

frictionless reads the same cells the pandera engine reads (the strings that
:mod:`dprk_relations.model.csvfile` found, with columns matched by name and blank rows
set aside), passed to it as inline data; its errors are mapped onto the
shared rule names and spreadsheet row numbers.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from dprk_relations.model.package import DESCRIPTOR, Package, load_package
from dprk_relations.model.problems import Problem, problem
from dprk_relations.checks.common import CONSTRAINT_RULES, schema_problem

if TYPE_CHECKING:
    from dprk_relations.model.csvfile import RawTable

V2_PACKAGE = "https://datapackage.org/profiles/2.0/datapackage.json"
_CONSTRAINT = re.compile(r'constraint "(\w+)"')
_ROW = re.compile(r"row at position (\d+)")
_FK_FIELDS = re.compile(r'for "([^"]+)":')
# frictionless 5.21 raises decimal.InvalidOperation on a signalling NaN that
# meets a bound; a signalling NaN is a NaN for every other purpose.
_SNAN = re.compile(r"^\s*[+-]?snan\d*\s*$", re.IGNORECASE)


_FIELD_KEYS = ("name", "type", "format", "constraints", "trueValues", "falseValues", "missingValues",
               "bareNumber", "groupChar", "decimalChar")


def _clean_schema(schema: dict, keep_fks_to: set) -> dict:
    """What frictionless checks rows against: no descriptions, labels or x- rules,
    whose metadata it would otherwise validate again for every run."""
    out = {"$schema": schema.get("$schema", "https://datapackage.org/profiles/2.0/tableschema.json"),
           "fields": [{k: copy.deepcopy(f[k]) for k in _FIELD_KEYS if k in f} for f in schema["fields"]]}
    for key in ("primaryKey", "missingValues"):
        if key in schema:
            out[key] = copy.deepcopy(schema[key])
    out["foreignKeys"] = [copy.deepcopy(fk) for fk in schema.get("foreignKeys", [])
                          if fk.get("reference", {}).get("resource") in keep_fks_to]
    return out


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


def cells(raws: dict[str, RawTable]) -> dict[str, tuple[list[list[str]], list[int]]]:
    """What frictionless reads of each usable table: (header + rows of cells, spreadsheet row
    of each row). Plain lists, so that another process can check them without pandas."""
    return {name: ([list(r.table.field_names)] + r.rows, list(r.lines)) for name, r in raws.items() if r.usable}


def check(package: Package, raws: dict[str, RawTable]) -> list:
    return check_cells(package, cells(raws))


PROCESSES_VAR = "DPRK_RELATIONS_PROCESSES"


def second_process_wanted() -> bool:
    """A second process pays for itself only where a second core runs it: by default when the
    machine has two; DPRK_RELATIONS_PROCESSES=1 keeps every check in one process (the test
    suite does, as its workers keep both cores busy), 2 asks for the second process."""
    wanted = os.environ.get(PROCESSES_VAR, "").strip()
    if wanted in ("1", "2"):
        return wanted == "2"
    return len(os.sched_getaffinity(0)) > 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) > 1


class Background:
    """frictionless in a second process, started before this one imports pandas: it
    imports, reads the raw files with the same strict reader, and checks the descriptor
    and every row while this process runs pandera and the rules (on the real data, about
    0.6 s that a machine with two cores hides; docs/performance.md has the measurements).

    It needs no pandas, so it starts fast; whatever stops it (no second process, a
    crash, output it cannot parse), :meth:`problems` does the same check here instead.
    """

    def __init__(self, package: Package):
        self.package = package
        self.fell_back: str | None = None  # why the check ran in this process, if it did
        # The same copy of the package, or none: another one found first on the path exits,
        # and the check runs here.
        this = str(Path(__file__).resolve())
        code = (f"import os, sys, {__name__} as m; "
                f"sys.exit(3) if os.path.realpath(m.__file__) != {this!r} else m.main()")
        try:
            self._proc = subprocess.Popen([sys.executable, "-c", code, str(package.root.resolve())],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            self._proc, self.fell_back = None, f"cannot start: {exc}"

    def problems(self, raws: dict[str, RawTable]) -> list[Problem]:
        if self._proc is not None:
            out, err = self._proc.communicate()
            if self._proc.returncode == 0:
                try:
                    return [Problem(**p) for p in json.loads(out)]
                except (ValueError, TypeError) as exc:
                    self.fell_back = f"unreadable output: {exc}"
            else:
                self.fell_back = f"exit {self._proc.returncode}: {err.decode(errors='replace')[-500:]}"
        return descriptor_problems(self.package) + check(self.package, raws)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()


def main(argv=None) -> None:
    """The second process: the package folder in, the problems as JSON out."""
    from dprk_relations.model.csvfile import read_raw

    root = Path((argv or sys.argv)[1])
    package = load_package(root)
    # The form of the files (row order, quoting) is the first process's to report.
    raws = {name: read_raw(table, root, form=False) for name, table in package.tables.items()}
    found = descriptor_problems(package) + check(package, raws)
    sys.stdout.write(json.dumps([asdict(p) for p in found]))


def check_cells(package: Package, tables: dict[str, tuple[list[list[str]], list[int]]]) -> list:
    """Every row of ``tables`` (see :func:`cells`) checked by frictionless against its Table Schema."""
    from frictionless import Package as FPackage

    resources, lookups = [], {}
    for name, (rows, _) in tables.items():
        table = package.tables[name]
        numeric = {i for i, f in enumerate(table.fields) if f.type in ("number", "integer")}
        if numeric:
            rows = [rows[0]] + [[("NaN" if i in numeric and _SNAN.match(v) else v) for i, v in enumerate(row)]
                                for row in rows[1:]]
        schema = _clean_schema(table.schema, set(tables))
        for fk in schema["foreignKeys"]:
            ref = fk["reference"]
            target = ref.get("resource") or name
            # frictionless opens (and re-validates) the whole referenced resource for every foreign
            # key: point it at a one-column copy of the referenced keys that this table's cells name
            # (a cell is found in the copy exactly when it is found in the whole table).
            own = [table.field_names.index(f) for f in fk["fields"]]
            named = {tuple(row[i] for i in own) for row in rows[1:]}
            source_table = package.tables[target]
            at = [source_table.field_names.index(f) for f in ref["fields"]]
            lookup = f"lookup.{name}.{'.'.join(fk['fields'])}"
            lookups[lookup] = {"name": lookup, "type": "table",
                               "data": [list(ref["fields"])] + [keys for keys in ([row[i] for i in at]
                                                                             for row in tables[target][0][1:])
                                                                if tuple(keys) in named],
                               "schema": {"fields": [{"name": f, "type": source_table.field(f).type}
                                                     for f in ref["fields"]],
                                          "missingValues": list(source_table.missing_values)}}
            ref["resource"] = lookup
        resources.append({"name": name, "type": "table", "data": rows, "schema": schema})
    if not resources:
        return []
    resources += lookups.values()
    # frictionless deep-copies inline rows each time it copies a resource's
    # descriptor (several times a validation): the rows go in after the
    # descriptor is read, as a function, which it calls once and never copies.
    data = {r["name"]: r["data"] for r in resources}
    try:
        fpkg = FPackage({"$schema": V2_PACKAGE, "name": "check",
                         "resources": [{**r, "data": r["data"][:1]} for r in resources]})
        for resource in fpkg.resources:
            resource.data = (lambda rows=data[resource.name]: rows)
        # The tables only: the lookup copies' keys are checked in their own tables.
        reports = {name: fpkg.get_resource(name).validate() for name in tables}
    except Exception as exc:  # noqa: BLE001 - a schema frictionless refuses or fails on: say so, fail closed
        return [problem("descriptor", file=DESCRIPTOR, column="resources",
                        detail=f"frictionless cannot read the schemas: {type(exc).__name__}: {exc}")]
    problems = []
    for name, report in reports.items():
        for err in [*report.errors, *(e for task in report.tasks for e in task.errors)]:
            p = _map(err, package.tables[name], tables[name][1])
            if p is not None:
                problems.append(p)
    return problems


def _map(err, table, lines: list[int]):
    row = getattr(err, "row_number", None)
    if row is None:
        return problem("descriptor", file=table.schema_path or DESCRIPTOR, detail=f"frictionless: {err.message}")
    line = lines[row - 2]
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
        first = lines[int(m.group(1)) - 2]
        if kind == "unique-error":
            return schema_problem("unique", table, table.field(err.field_name), line, err.cell, first_line=first)
        keys = [err.cells[table.field_names.index(k)] for k in table.primary_key]
        return schema_problem("primary-key", table, None, line, ",".join(keys), first_line=first)
    if kind == "foreign-key":
        # The note reads: for "a, b": values "x" not found in the lookup table "t" as "c"
        m = _FK_FIELDS.match(err.note)
        named = tuple(k.strip() for k in m.group(1).split(",")) if m else ()
        fk = next((f for f in table.foreign_keys if f.fields == named), table.foreign_keys[0])
        value = ",".join(err.cells[table.field_names.index(k)] for k in fk.fields)
        return schema_problem("foreign-key", table, None, line, value, fk=fk)
    return problem("descriptor", file=table.path, line=line, detail=f"frictionless {kind}: {err.message}")

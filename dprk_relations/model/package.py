"""Read datapackage.json and the Table Schemas it points to.

This is the one module that knows the package layout. Everything else gets
:class:`Package`, :class:`Table` and :class:`Field` objects from here, so both
validation engines, the release writer and the codebook read the same
definitions.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dprk_relations.model import descriptor as shape
from dprk_relations.model.problems import Problem, problem

DESCRIPTOR = "datapackage.json"
SUPPORTED_TYPES = shape.FIELD_TYPES
SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    constraints: dict
    categories: tuple = ()  # ({"value": ..., "label": ...}, ...)
    categories_ordered: bool = False
    true_values: tuple = ("true",)
    false_values: tuple = ("false",)
    edtf: bool = False
    descriptor: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    @property
    def enum(self) -> list | None:
        return self.constraints.get("enum")

    @property
    def labels(self) -> dict:
        return {c["value"]: c.get("label", c["value"]) for c in self.categories}


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple
    resource: str
    reference_fields: tuple


@dataclass(frozen=True)
class Table:
    name: str
    path: str  # relative POSIX path of the data file, as in the descriptor
    schema_path: str | None
    title: str
    description: str
    fields: tuple
    primary_key: tuple
    foreign_keys: tuple
    missing_values: tuple
    rules: tuple  # the schema's "x-rules" declarations
    row_description: str = ""
    schema: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass
class Package:
    root: Path
    descriptor: dict
    tables: dict  # name -> Table, in descriptor order

    @property
    def name(self) -> str:
        return self.descriptor.get("name", "")

    @property
    def version(self) -> str:
        return self.descriptor.get("version", "")

    def table(self, name: str) -> Table:
        return self.tables[name]


class PackageError(Exception):
    """The descriptor is unusable; ``problems`` says why, with places."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def safe_relpath(rel, root: Path) -> tuple[Path | None, str]:
    """Resolve a descriptor path inside ``root``; return (path, "") or (None, why)."""
    if not isinstance(rel, str) or not rel:
        return None, "is not a non-empty string"
    if "://" in rel or rel.startswith("data:"):
        return None, "is a URL; only local relative paths are allowed"
    pure = PurePosixPath(rel.replace("\\", "/"))
    if pure.is_absolute() or os.path.isabs(rel) or (len(rel) > 1 and rel[1] == ":"):
        return None, "is absolute"
    if ".." in pure.parts:
        return None, "contains '..'"
    full = root.joinpath(*pure.parts)
    # A link could point anywhere; refuse it rather than follow it.
    probe = root
    for part in pure.parts:
        probe = probe / part
        if probe.is_symlink():
            return None, "goes through a symbolic link"
    try:
        full.resolve().relative_to(root.resolve())
    except ValueError:
        return None, "resolves outside the package directory"
    return full, ""


def read_json(path: Path, shown: str) -> tuple[object | None, list[Problem]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [problem("missing-file", file=shown, detail=f"{shown} does not exist")]
    except OSError as exc:
        return None, [problem("unreadable", file=shown, detail=exc.strerror or str(exc))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.end]
        return None, [problem("encoding", file=shown, line=data.count(b"\n", 0, exc.start) + 1,
                              value=bad.hex(" "), detail=exc.reason)]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [problem("json", file=shown, line=exc.lineno,
                              detail=f"{exc.msg} (line {exc.lineno}, character {exc.colno})")]


def _field(desc: dict, schema_file: str, missing: tuple) -> tuple[Field | None, list[Problem]]:
    probs = []
    name = desc.get("name")
    ftype = desc.get("type", "string")
    if not isinstance(name, str) or not name:
        return None, [problem("descriptor", file=schema_file, detail=f"a field has no name: {desc!r}")]
    where = dict(file=schema_file, column=name)
    if ftype not in SUPPORTED_TYPES:
        probs.append(problem("field-type", value=ftype, detail=", ".join(SUPPORTED_TYPES), **where))
    if not str(desc.get("description", "")).strip():
        probs.append(problem("descriptor", detail=f"field {name!r} has no description", **where))
    constraints = desc.get("constraints", {}) or {}
    if not isinstance(constraints, dict):
        probs.append(problem("descriptor", detail=f"field {name!r}: constraints must be an object", **where))
        constraints = {}
    cats = desc.get("categories") or ()
    if cats:
        values = [c.get("value") if isinstance(c, dict) else c for c in cats]
        if values != list(constraints.get("enum") or []):
            probs.append(problem("descriptor", detail=(
                f"field {name!r}: categories {values} differ from constraints.enum "
                f"{constraints.get('enum')} (frictionless enforces enum, so both must list the same values)"),
                **where))
        cats = tuple(c if isinstance(c, dict) else {"value": c, "label": str(c)} for c in cats)
    pattern = constraints.get("pattern")
    if pattern is not None:
        import re
        try:
            re.compile(pattern)
        except re.error as exc:
            probs.append(problem("descriptor", detail=f"field {name!r}: pattern does not compile: {exc}", **where))
    return Field(
        name=name,
        type=ftype,
        description=str(desc.get("description", "")),
        constraints=dict(constraints),
        categories=tuple(cats),
        categories_ordered=bool(desc.get("categoriesOrdered", False)),
        true_values=tuple(desc.get("trueValues", ("true", "True", "TRUE", "1"))),
        false_values=tuple(desc.get("falseValues", ("false", "False", "FALSE", "0"))),
        edtf=bool(desc.get("x-edtf", False)),
        descriptor=desc,
    ), probs


def _table(res: dict, index: int, root: Path) -> tuple[Table | None, list[Problem]]:
    probs: list[Problem] = []
    where = f"resources[{index}]"
    name = res.get("name")
    if not isinstance(name, str) or not name:
        return None, [problem("descriptor", file=DESCRIPTOR, column=where, detail=f"{where} has no name")]
    data_path = res.get("path")
    full, why = safe_relpath(data_path, root)
    if full is None:
        probs.append(problem("unsafe-path", file=DESCRIPTOR, column=f"{name}.path", value=data_path, detail=why))
    elif not full.is_file():
        probs.append(problem("missing-file", file=DESCRIPTOR, column=f"{name}.path",
                             value=data_path, detail=f"resource {name!r}: {data_path} does not exist"))
    schema = res.get("schema")
    schema_path = None
    shown = DESCRIPTOR
    if isinstance(schema, str):
        schema_path = schema
        sfull, why = safe_relpath(schema, root)
        if sfull is None:
            return None, probs + [problem("unsafe-path", file=DESCRIPTOR, column=f"{name}.schema",
                                          value=schema, detail=why)]
        schema, sprobs = read_json(sfull, schema_path)
        shown = schema_path
        if sprobs:
            return None, probs + sprobs
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return None, probs + [problem("descriptor", file=shown, column=f"{name}.schema",
                                      detail=f"resource {name!r} has no schema with a list of fields")]
    sprobs = shape.schema_problems(schema, shown)
    if sprobs:
        return None, probs + sprobs
    missing = tuple(schema.get("missingValues", [""]))
    fields, names = [], set()
    declared = {f["name"]: f.get("type", "string") for f in schema["fields"]
                if isinstance(f, dict) and isinstance(f.get("name"), str)}
    for fdesc in schema["fields"]:
        if not isinstance(fdesc, dict):
            probs.append(problem("descriptor", file=shown, detail=f"a field of {name!r} is not an object"))
            continue
        fprobs = shape.field_problems(fdesc, shown) if isinstance(fdesc.get("name"), str) else []
        if fprobs:
            probs += fprobs
            names.add(fdesc["name"])
            continue
        f, fprobs = _field(fdesc, shown, missing)
        probs += fprobs
        if f is None:
            continue
        if f.name in names:
            probs.append(problem("descriptor", file=shown, column=f.name, detail=f"field {f.name!r} is defined twice"))
        names.add(f.name)
        fields.append(f)
    pk = schema.get("primaryKey", [])
    pk = (pk,) if isinstance(pk, str) else tuple(pk)
    for k in pk:
        if k not in names:
            probs.append(problem("descriptor", file=shown, column=k, detail=f"primary key field {k!r} is not a field"))
        elif not next((f.required for f in fields if f.name == k), True):
            probs.append(problem("descriptor", file=shown, column=k,
                                 detail=f"primary key field {k!r} must have constraints.required true"))
    fks = []
    for fk in schema.get("foreignKeys", []):
        fk_fields = fk.get("fields", [])
        fk_fields = (fk_fields,) if isinstance(fk_fields, str) else tuple(fk_fields)
        ref = fk.get("reference", {})
        ref_fields = ref.get("fields", [])
        ref_fields = (ref_fields,) if isinstance(ref_fields, str) else tuple(ref_fields)
        for k in fk_fields:
            if k not in names:
                probs.append(problem("descriptor", file=shown, column=k, detail=f"foreign key field {k!r} is not a field"))
        fks.append(ForeignKey(fk_fields, ref.get("resource", "") or name, ref_fields))
    rules = schema.get("x-rules", [])
    if not isinstance(rules, list) or not all(isinstance(d, dict) for d in rules):
        probs.append(problem("descriptor", file=shown, column="x-rules", detail="x-rules must be a list of objects"))
        rules = []
    for decl in rules:  # the keys each rule reads are checked by checks.rules, which knows the rules
        if not isinstance(decl.get("rule"), str):
            probs.append(problem("descriptor", file=shown, column="x-rules",
                                 detail=f"rule {decl.get('rule')!r}: 'rule' must be the name of a rule"))
    rules = tuple(rules)
    table = Table(
        name=name,
        path=data_path if isinstance(data_path, str) else "",
        schema_path=schema_path,
        title=str(res.get("title", name)),
        description=str(res.get("description", "")),
        fields=tuple(fields),
        primary_key=pk,
        foreign_keys=tuple(fks),
        missing_values=missing,
        rules=rules,
        row_description=str(schema.get("x-row", "")),
        schema=schema,
    )
    return table, probs


def load_package(root=".") -> Package:
    """Read the package at ``root``; raise :class:`PackageError` listing every problem."""
    root = Path(root)
    desc, probs = read_json(root / DESCRIPTOR, DESCRIPTOR)
    if probs:
        raise PackageError(probs)
    if not isinstance(desc, dict) or not isinstance(desc.get("resources"), list) or not desc["resources"]:
        raise PackageError([problem("descriptor", file=DESCRIPTOR, detail="the descriptor needs a non-empty 'resources' list")])
    probs += shape.package_problems(desc, DESCRIPTOR)
    tables: dict[str, Table] = {}
    for i, res in enumerate(desc["resources"]):
        if not isinstance(res, dict):
            probs.append(problem("descriptor", file=DESCRIPTOR, column=f"resources[{i}]", detail="a resource is not an object"))
            continue
        if res.get("type", "table") != "table":
            # A plain file (a release's Parquet copy): its path must still be safe.
            full, why = safe_relpath(res.get("path"), root)
            if full is None:
                probs.append(problem("unsafe-path", file=DESCRIPTOR, column=f"{res.get('name')}.path",
                                     value=res.get("path"), detail=why))
            continue
        table, tprobs = _table(res, i, root)
        probs += tprobs
        if table is None:
            continue
        if table.name in tables:
            probs.append(problem("descriptor", file=DESCRIPTOR, column=table.name,
                                 detail=f"resource name {table.name!r} is used twice"))
        tables[table.name] = table
    for t in tables.values():
        for fk in t.foreign_keys:
            if fk.resource not in tables:
                probs.append(problem("descriptor", file=t.schema_path or DESCRIPTOR, column=",".join(fk.fields),
                                     detail=f"foreign key points to unknown resource {fk.resource!r}"))
            else:
                for rf in fk.reference_fields:
                    if rf not in tables[fk.resource].field_names:
                        probs.append(problem("descriptor", file=t.schema_path or DESCRIPTOR, column=",".join(fk.fields),
                                             detail=f"foreign key points to unknown field {fk.resource}.{rf}"))
    if probs:
        raise PackageError(probs)
    return Package(root=root, descriptor=desc, tables=tables)

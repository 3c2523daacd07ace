"""Compare two versions of the dataset: schemas and records, and what version
bump the difference requires.

A side is a release directory, a release zip, or a package directory with raw
data (which is derived in memory as a build would). The bump follows the Data
Package versioning rules: major for anything that can break a user's code or
analysis (a table, field or record removed, a field retyped, a constraint
tightened, a key changed), minor for additions (tables, fields, records,
loosened constraints), patch for corrected values and metadata.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

BUMPS = ("none", "patch", "minor", "major")
_META_SKIP = {"resources", "version", "created"}
_LOWER = {"minimum", "exclusiveMinimum", "minLength"}  # raising these tightens
# Free-text documentation of a record: a change to these alone revises how a value was reached, not the value.
NOTE_FIELDS = {"coding_note", "note"}
_UPPER = {"maximum", "exclusiveMaximum", "maxLength"}  # lowering these tightens


class DiffError(Exception):
    """A side cannot be read; the message says which and why."""


@dataclass
class Snapshot:
    label: str
    version: str
    meta: dict
    schemas: dict  # table -> Table Schema (dict)
    rows: dict  # table -> {key: {field: str}}


@dataclass
class TableDiff:
    name: str
    schema_changes: list = field(default_factory=list)  # dicts: kind, field, detail, effect
    added: list = field(default_factory=list)  # keys
    removed: list = field(default_factory=list)
    changed: dict = field(default_factory=dict)  # key -> {field: [old, new]}

    @property
    def empty(self) -> bool:
        return not (self.schema_changes or self.added or self.removed or self.changed)

    @property
    def corrected(self) -> dict:
        """Records with a corrected value (any field but the coding notes): key -> {field: [old, new]}."""
        return {k: f for k, f in self.changed.items() if set(f) - NOTE_FIELDS}

    @property
    def notes_revised(self) -> list:
        """Records whose coding notes alone changed."""
        return [k for k, f in self.changed.items() if not set(f) - NOTE_FIELDS]


@dataclass
class Diff:
    old: str
    new: str
    old_version: str
    new_version: str
    tables_added: list = field(default_factory=list)
    tables_removed: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)  # name -> TableDiff
    metadata: list = field(default_factory=list)  # top-level keys that changed

    @property
    def bump(self) -> str:
        level = 0
        if self.metadata:
            level = 1
        if self.tables_added:
            level = max(level, 2)
        if self.tables_removed:
            level = 3
        for t in self.tables.values():
            if t.changed:
                level = max(level, 1)
            if t.added:
                level = max(level, 2)
            if t.removed:
                level = 3
            for c in t.schema_changes:
                level = max(level, BUMPS.index(c["effect"]))
        return BUMPS[level]

    @property
    def reasons(self) -> list[str]:
        """Why the bump is what it is: the changes at the bump's level."""
        want = self.bump
        out = []
        if want == "major":
            out += [f"table {t} removed" for t in self.tables_removed]
        if want in ("minor",):
            out += [f"table {t} added" for t in self.tables_added]
        for t in self.tables.values():
            out += [f"{t.name}: {c['detail']}" for c in t.schema_changes if c["effect"] == want]
            if want == "major" and t.removed:
                out.append(f"{t.name}: {len(t.removed)} record(s) removed")
            if want == "minor" and t.added:
                out.append(f"{t.name}: {len(t.added)} record(s) added")
            if want == "patch" and t.corrected:
                out.append(f"{t.name}: {len(t.corrected)} record(s) corrected")
            if want == "patch" and t.notes_revised:
                out.append(f"{t.name}: {len(t.notes_revised)} coding note(s) revised")
        if want == "patch" and self.metadata:
            out.append("metadata changed: " + ", ".join(self.metadata))
        return out

    def summary(self) -> str:
        """One line: per table, records added, removed and changed."""
        parts = [f"+table {t}" for t in self.tables_added] + [f"-table {t}" for t in self.tables_removed]
        for t in self.tables.values():
            bits = []
            if t.added:
                bits.append(f"+{len(t.added)}")
            if t.removed:
                bits.append(f"-{len(t.removed)}")
            if t.changed:
                bits.append(f"~{len(t.changed)}")
            if t.schema_changes:
                bits.append(f"{len(t.schema_changes)} schema change{'s' if len(t.schema_changes) > 1 else ''}")
            if bits:
                parts.append(f"{t.name} {' '.join(bits)}")
        if self.metadata:
            parts.append("metadata: " + ", ".join(self.metadata))
        return "; ".join(parts) if parts else "no changes"

    def to_dict(self) -> dict:
        return {
            "old": self.old, "new": self.new, "old_version": self.old_version, "new_version": self.new_version,
            "bump": self.bump, "reasons": self.reasons, "summary": self.summary(),
            "tables_added": self.tables_added, "tables_removed": self.tables_removed, "metadata": self.metadata,
            "tables": {n: {"schema_changes": t.schema_changes, "added": t.added, "removed": t.removed,
                           "changed": t.changed} for n, t in self.tables.items() if not t.empty},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        lines = [f"{self.old} ({self.old_version}) -> {self.new} ({self.new_version}): {self.summary()}",
                 f"required version bump: {self.bump}"]
        lines += [f"  because {r}" for r in self.reasons]
        for t in self.tables_added:
            lines.append(f"table {t}: added")
        for t in self.tables_removed:
            lines.append(f"table {t}: removed")
        for t in self.tables.values():
            if t.empty:
                continue
            lines.append(f"table {t.name}:")
            for c in t.schema_changes:
                lines.append(f"  schema: {c['detail']} ({c['effect']})")
            lines += [f"  + {k}" for k in t.added]
            lines += [f"  - {k}" for k in t.removed]
            for k, fields in t.corrected.items():
                lines.append(f"  ~ {k} (corrected)")
                for f, (a, b) in fields.items():
                    lines.append(f"      {f}: {a!r} -> {b!r}")
            lines += [f"  ~ {k} (coding note revised)" for k in t.notes_revised]
        return "\n".join(lines) + "\n"

    def to_markdown(self, heading: str | None = None) -> str:
        lines = [heading or f"## {self.old_version} → {self.new_version}", ""]
        if self.metadata:
            lines.append(f"- Metadata changed: {', '.join(self.metadata)}.")
        for t in self.tables_added:
            lines.append(f"- Table `{t}` added.")
        for t in self.tables_removed:
            lines.append(f"- Table `{t}` removed.")
        for t in self.tables.values():
            if t.empty:
                continue
            lines.append(f"- `{t.name}`:")
            for c in t.schema_changes:
                lines.append(f"  - Schema: {c['detail']} ({c['effect']}).")
            if t.added:
                lines.append(f"  - Added {len(t.added)}: " + ", ".join(f"`{k}`" for k in t.added) + ".")
            if t.removed:
                lines.append(f"  - Removed {len(t.removed)}: " + ", ".join(f"`{k}`" for k in t.removed) + ".")
            # Errata: every corrected value in full, old and new, so that a reader of an earlier
            # release can tell exactly which of its values changed.
            for k, fields in t.corrected.items():
                lines.append(f"  - Corrected `{k}`:")
                lines += [f"    - {f}: {_code(a)} → {_code(b)}" for f, (a, b) in fields.items()]
            if t.notes_revised:
                lines.append(f"  - Coding notes revised, no value changed ({len(t.notes_revised)}): "
                             + ", ".join(f"`{k}`" for k in t.notes_revised) + ".")
        if len(lines) == 2:
            lines.append("- No changes.")
        return "\n".join(lines) + "\n"


def _code(v: str) -> str:
    """A value as Markdown code, whole (a value never holds a line break)."""
    if v == "":
        return "(empty)"
    fence = "``" if "`" in v else "`"
    pad = " " if v.startswith("`") or v.endswith("`") else ""
    return f"{fence}{pad}{v}{pad}{fence}"


# -- reading a side ------------------------------------------------------------


def read_csv_rows(data: bytes, schema: dict) -> dict:
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = {}
    for i, row in enumerate(reader):
        key = ",".join(row.get(k, "") for k in pk) if pk else str(i)
        rows[key] = {k: (v if v is not None else "") for k, v in row.items()}
    return rows


def snapshot_release(root: Path, label: str | None = None) -> Snapshot:
    from dprk_relations.model.package import safe_relpath

    desc_path = root / "datapackage.json"
    try:
        desc = json.loads(desc_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DiffError(f"{root}: cannot read datapackage.json ({exc})") from None
    schemas, rows = {}, {}
    for res in desc.get("resources", []):
        if res.get("type") != "table" or res.get("format", "csv") != "csv" or not isinstance(res.get("schema"), dict):
            continue
        path, why = safe_relpath(res.get("path"), root)
        if path is None:
            raise DiffError(f"{root}: resource {res.get('name')!r} path {why}")
        schemas[res["name"]] = res["schema"]
        rows[res["name"]] = read_csv_rows(path.read_bytes(), res["schema"])
    meta = {k: v for k, v in desc.items() if k not in _META_SKIP}
    return Snapshot(label or str(root), str(desc.get("version", "")), meta, schemas, rows)


def snapshot_raw(package_dir: Path, sources=None, label: str | None = None) -> Snapshot:
    """The release a build would make from raw data, without writing it."""
    from dprk_relations.stages.derive import release_tables

    package, tables, report = release_tables(package_dir, sources=sources)
    if package is None:
        raise DiffError(f"{package_dir}: the raw data is not valid; run `dprk-relations validate` "
                        f"({len(report.errors)} errors)")
    return snapshot_tables(package, tables, label or f"{package_dir} (raw)")


def snapshot_tables(package, tables, label: str) -> Snapshot:
    """The release that the release tables of ``package`` make, as :func:`compare` reads a side."""
    from dprk_relations.documents.files import csv_bytes

    meta = {k: v for k, v in package.descriptor.items() if k not in _META_SKIP}
    return Snapshot(label, package.version, meta, {n: rt.schema for n, rt in tables.items()},
                    {n: read_csv_rows(csv_bytes(rt), rt.schema) for n, rt in tables.items()})


def snapshot(path, sources=None) -> Snapshot:
    """Read a release directory, a release zip, or a package directory of raw data."""
    path = Path(path)
    if path.is_file() and path.suffix == ".zip":
        from dprk_relations.access.archive import extract_release

        tmp = tempfile.TemporaryDirectory(prefix="dprk-diff-")
        root = extract_release(path, Path(tmp.name))
        snap = snapshot_release(root, label=str(path))
        tmp.cleanup()
        return snap
    if not (path / "datapackage.json").is_file():
        raise DiffError(f"{path}: not a release directory, release zip or package directory")
    desc = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    is_raw = any(isinstance(r.get("schema"), str) for r in desc.get("resources", []))
    return snapshot_raw(path, sources=sources) if is_raw else snapshot_release(path)


# -- comparing -------------------------------------------------------------------


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _constraint_changes(name: str, old: dict, new: dict) -> list[dict]:
    out = []
    oc, nc = old.get("constraints") or {}, new.get("constraints") or {}
    for key in sorted(set(oc) | set(nc)):
        a, b = oc.get(key), nc.get(key)
        if a == b:
            continue
        where = f"field {name!r} constraint {key}"
        if key == "enum":
            gone = [v for v in (a or []) if v not in (b or [])]
            came = [v for v in (b or []) if v not in (a or [])]
            if a is None:
                out.append(dict(kind="constraint", field=name, detail=f"{where} added", effect="major"))
                continue
            if b is None:
                out.append(dict(kind="constraint", field=name, detail=f"{where} removed", effect="minor"))
                continue
            if gone:
                out.append(dict(kind="constraint", field=name, detail=f"{where}: {gone} no longer allowed",
                                effect="major"))
            if came:
                out.append(dict(kind="constraint", field=name, detail=f"{where}: {came} now allowed", effect="minor"))
            if not gone and not came:
                out.append(dict(kind="constraint", field=name, detail=f"{where}: categories reordered", effect="patch"))
            continue
        if key in ("required", "unique"):
            tight = bool(b) and not bool(a)
        elif a is None:
            tight = True
        elif b is None:
            tight = False
        elif key in _LOWER:
            tight = _num(b) > _num(a)
        elif key in _UPPER:
            tight = _num(b) < _num(a)
        else:  # a changed pattern may exclude values that passed: assume it does
            tight = True
        verb = "tightened" if tight else "loosened"
        out.append(dict(kind="constraint", field=name, detail=f"{where} {verb}: {a!r} -> {b!r}",
                        effect="major" if tight else "minor"))
    return out


def _schema_changes(old: dict, new: dict) -> list[dict]:
    out = []
    of = {f["name"]: f for f in old.get("fields", [])}
    nf = {f["name"]: f for f in new.get("fields", [])}
    for name in of:
        if name not in nf:
            out.append(dict(kind="field-removed", field=name, detail=f"field {name!r} removed", effect="major"))
    for name in nf:
        if name not in of:
            out.append(dict(kind="field-added", field=name, detail=f"field {name!r} added", effect="minor"))
    for name in of:
        if name not in nf:
            continue
        a, b = of[name], nf[name]
        if a.get("type", "string") != b.get("type", "string"):
            out.append(dict(kind="retyped", field=name, effect="major",
                            detail=f"field {name!r} retyped {a.get('type', 'string')} -> {b.get('type', 'string')}"))
            continue
        out += _constraint_changes(name, a, b)
        for key in ("description", "categories", "title", "trueValues", "falseValues"):
            if a.get(key) != b.get(key):
                effect = "major" if key in ("trueValues", "falseValues") else "patch"
                out.append(dict(kind="field-metadata", field=name, detail=f"field {name!r} {key} changed",
                                effect=effect))
    if (old.get("primaryKey") or []) != (new.get("primaryKey") or []):
        out.append(dict(kind="key", field=None, effect="major",
                        detail=f"primary key {old.get('primaryKey')} -> {new.get('primaryKey')}"))
    ofk = [json.dumps(x, sort_keys=True) for x in old.get("foreignKeys") or []]
    nfk = [json.dumps(x, sort_keys=True) for x in new.get("foreignKeys") or []]
    added_fields = set(nf) - set(of)
    for x in nfk:
        if x not in ofk:
            # A key on fields that are themselves new constrains no existing value.
            on_new = set(json.loads(x).get("fields", [])) <= added_fields
            out.append(dict(kind="key", field=None, detail=f"foreign key added: {x}",
                            effect="minor" if on_new else "major"))
    for x in ofk:
        if x not in nfk:
            out.append(dict(kind="key", field=None, detail=f"foreign key removed: {x}", effect="minor"))
    # Cross-field rules (x-rules) are the validator's, not the Table Schema's:
    # every release satisfies its own, and no field changes shape or meaning
    # when one is added or removed, so either way it is a minor change.
    orules = [json.dumps(x, sort_keys=True) for x in old.get("x-rules") or []]
    nrules = [json.dumps(x, sort_keys=True) for x in new.get("x-rules") or []]
    for x in nrules:
        if x not in orules:
            out.append(dict(kind="rule", field=None, detail=f"rule added: {x}", effect="minor"))
    for x in orules:
        if x not in nrules:
            out.append(dict(kind="rule", field=None, detail=f"rule removed: {x}", effect="minor"))
    if old.get("missingValues", [""]) != new.get("missingValues", [""]):
        out.append(dict(kind="missing-values", field=None, effect="major",
                        detail=f"missingValues {old.get('missingValues')} -> {new.get('missingValues')}"))
    return out


def compare(old: Snapshot, new: Snapshot) -> Diff:
    d = Diff(old.label, new.label, old.version, new.version)
    d.tables_added = [t for t in new.schemas if t not in old.schemas]
    d.tables_removed = [t for t in old.schemas if t not in new.schemas]
    d.metadata = sorted(k for k in set(old.meta) | set(new.meta) if old.meta.get(k) != new.meta.get(k))
    for name in new.schemas:
        if name not in old.schemas:
            continue
        td = TableDiff(name, schema_changes=_schema_changes(old.schemas[name], new.schemas[name]))
        a, b = old.rows[name], new.rows[name]
        td.added = sorted(k for k in b if k not in a)
        td.removed = sorted(k for k in a if k not in b)
        derived = {f["name"] for f in new.schemas[name].get("fields", []) if f.get("x-derived-from")}
        for k in sorted(set(a) & set(b)):
            fields = {f: [a[k][f], b[k][f]] for f in b[k] if f in a[k] and a[k][f] != b[k][f]}
            # Derived columns follow their sources: show them only when nothing else changed
            # (new citations, say, change source_count and nothing in the record).
            raw = {f: v for f, v in fields.items() if f not in derived}
            if fields:
                td.changed[k] = raw or fields
        d.tables[name] = td
    return d


def diff(old, new, sources=None) -> Diff:
    """Compare two sides, each a release directory, release zip or package directory."""
    return compare(snapshot(old, sources), snapshot(new, sources))

"""The shape of datapackage.json and its Table Schemas, checked before anything
reads them.

A descriptor is input like any other: typed by hand, saved by an editor, or
downloaded with a release. Everything that reads it (both engines, the
rules, the evidence check, the release writer) may then rely on what is
checked here: the types of every member it reads, the keys each declared
rule needs, the fields those keys name, and a version that is safe to use
as a directory name. Each problem names the file and the member, and says
what is expected.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from dprk_relations.model.problems import Problem, problem

VERSION = re.compile(r"^\d+\.\d+\.\d+$")
SCALAR = (str, int, float, bool)
FIELD_TYPES = ("string", "integer", "number", "boolean", "date")  # the types the engines implement
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _is_str_list(v, min_len=0) -> bool:
    return isinstance(v, list) and len(v) >= min_len and all(isinstance(x, str) and x for x in v)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _is_date(v) -> bool:
    try:
        datetime.strptime(v, "%Y-%m-%d")
        return True
    except (TypeError, ValueError):
        return False


def _is_decimal(v) -> bool:
    if _is_number(v):
        return True
    try:
        return isinstance(v, str) and Decimal(v.strip()).is_finite()
    except (InvalidOperation, ValueError):
        return False


def _fits(ftype: str, v) -> bool:
    """Is ``v`` a value of the Table Schema type ``ftype`` (for enum and bounds)?"""
    if ftype == "string":
        return isinstance(v, str)
    if ftype == "integer":
        return _is_int(v)
    if ftype == "number":
        return _is_number(v)
    if ftype == "date":
        return _is_date(v)
    if ftype == "boolean":
        return isinstance(v, bool)
    return True


def package_problems(desc: dict, shown: str) -> list[Problem]:
    """The package-level members that the release writer reads."""
    out = []

    def bad(key, detail):
        out.append(problem("descriptor", file=shown, column=key, detail=f"{key!r} {detail}"))

    version = desc.get("version")
    if version is not None and (not isinstance(version, str) or not VERSION.match(version)):
        bad("version", f"must be a version such as 1.2.0 (MAJOR.MINOR.PATCH), not {version!r}")
    for key in ("$schema", "profile", "name", "id", "title", "description", "homepage", "created"):
        if key in desc and not isinstance(desc[key], str):
            bad(key, "must be a string")
    if isinstance(desc.get("created"), str) and desc["created"]:
        try:
            datetime.fromisoformat(desc["created"].replace("Z", "+00:00"))
        except ValueError:
            bad("created", f"must be a date and time such as 2026-12-01T00:00:00Z, not {desc['created']!r}")
    for key in ("keywords", "x-coverage"):
        if key in desc and not (isinstance(desc[key], list) and all(isinstance(x, str) for x in desc[key])):
            bad(key, "must be a list of strings")
    for key, needs in (("licenses", ("name",)), ("contributors", ("title",)), ("sources", ("title",)),
                       ("x-coding-rules", ("name", "rule"))):
        items = desc.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            bad(key, "must be a list of objects")
            continue
        if key == "licenses" and not items:
            bad(key, "must list at least one licence")
        for i, item in enumerate(items):
            for need in needs:
                if (need in item or key == "x-coding-rules") and not isinstance(item.get(need), str):
                    bad(f"{key}[{i}].{need}", "must be a string")
            if key == "contributors" and "roles" in item and not _is_str_list(item["roles"]):
                bad(f"{key}[{i}].roles", "must be a list of strings")
    return out


def field_problems(f: dict, shown: str) -> list[Problem]:
    """A field's members, each of the type the engines expect."""
    out = []
    name = f.get("name")
    ftype = f.get("type", "string")

    def bad(key, detail):
        out.append(problem("descriptor", file=shown, column=name, detail=f"field {name!r}: {key} {detail}"))

    if not isinstance(ftype, str):
        bad("type", f"must be a string, not {ftype!r}")
        return out
    if ftype not in FIELD_TYPES:
        return out  # the field-type rule names it; what fits an unknown type is no question
    for key in ("description", "title", "x-pattern-hint", "format"):
        if key in f and not isinstance(f[key], str):
            bad(key, "must be a string")
    for key in ("categoriesOrdered", "x-edtf"):
        if key in f and not isinstance(f[key], bool):
            bad(key, "must be true or false")
    if f.get("x-edtf") is True and ftype != "string":
        bad("x-edtf", "applies only to string fields")
    if "x-separator" in f and (ftype != "string" or not isinstance(f["x-separator"], str) or not f["x-separator"]):
        bad("x-separator", "must be a non-empty string, on a string field (its cells list values)")
    for key in ("trueValues", "falseValues"):
        if key in f and not _is_str_list(f[key], 1):
            bad(key, "must be a non-empty list of strings")
    if "x-derived-from" in f and not _is_str_list(f["x-derived-from"]):
        bad("x-derived-from", "must be a list of field names")
    cats = f.get("categories")
    if cats is not None and not (isinstance(cats, list) and all(
            (isinstance(c, dict) and isinstance(c.get("value"), SCALAR) and isinstance(c.get("label", ""), str))
            or isinstance(c, SCALAR) for c in cats)):
        bad("categories", "must be a list of values, or of objects with a value and a text label")
    c = f.get("constraints", {})
    if c is None:
        c = {}
    if not isinstance(c, dict):
        bad("constraints", "must be an object")
        return out
    for key in ("required", "unique"):
        if key in c and not isinstance(c[key], bool):
            bad(f"constraints.{key}", "must be true or false")
    if "pattern" in c and not isinstance(c["pattern"], str):
        bad("constraints.pattern", "must be a string")
    elif "pattern" in c and ftype != "string":
        bad("constraints.pattern", "applies only to string fields")
    for key in ("minLength", "maxLength"):
        if key in c and not (_is_int(c[key]) and c[key] >= 0):
            bad(f"constraints.{key}", "must be a whole number, 0 or more")
        elif key in c and ftype != "string":
            bad(f"constraints.{key}", "applies only to string fields")
    if "enum" in c:
        enum = c["enum"]
        if not isinstance(enum, list) or not enum:
            bad("constraints.enum", "must be a non-empty list")
        elif ftype == "boolean" or not all(_fits(ftype, v) for v in enum):
            bad("constraints.enum", f"must list values of the field's type ({ftype})")
        elif len({repr(v) for v in enum}) != len(enum):
            bad("constraints.enum", "lists a value twice")
    for key in BOUNDS:
        if key not in c:
            continue
        v = c[key]
        if ftype in ("integer", "number") and not _is_decimal(v):
            bad(f"constraints.{key}", f"must be a number, not {v!r}")
        elif ftype == "date" and not _is_date(v):
            bad(f"constraints.{key}", f"must be a date written YYYY-MM-DD, not {v!r}")
        elif ftype not in ("integer", "number", "date"):
            bad(f"constraints.{key}", "applies only to integer, number and date fields")
    return out


def _names(v) -> list | None:
    """A key list written as a string or a list of strings; None when it is neither."""
    if isinstance(v, str) and v:
        return [v]
    if _is_str_list(v, 1):
        return list(v)
    return None


def schema_problems(schema: dict, shown: str) -> list[Problem]:
    """The schema's own members (fields are checked one by one by field_problems)."""
    out = []

    def bad(key, detail):
        out.append(problem("descriptor", file=shown, column=key, detail=f"{key} {detail}"))

    mv = schema.get("missingValues", [""])
    if not (isinstance(mv, list) and all(isinstance(x, str) for x in mv)):
        bad("missingValues", "must be a list of strings")
    if "primaryKey" in schema and _names(schema["primaryKey"]) is None:
        bad("primaryKey", "must be a field name or a list of field names")
    fks = schema.get("foreignKeys", [])
    if not isinstance(fks, list):
        bad("foreignKeys", "must be a list")
        fks = []
    for i, fk in enumerate(fks):
        where = f"foreignKeys[{i}]"
        ref = fk.get("reference") if isinstance(fk, dict) else None
        if not isinstance(fk, dict) or not isinstance(ref, dict):
            bad(where, "must be an object with fields and a reference object")
            continue
        own, theirs = _names(fk.get("fields")), _names(ref.get("fields"))
        if own is None or theirs is None:
            bad(where, "needs fields and reference.fields, each a field name or a list of them")
        elif len(own) != len(theirs):
            bad(where, "fields and reference.fields must name as many fields")
        if not isinstance(ref.get("resource", ""), str):
            bad(f"{where}.reference.resource", "must be a resource name")
    for key in ("x-row", "$schema"):
        if key in schema and not isinstance(schema[key], str):
            bad(key, "must be a string")
    return out

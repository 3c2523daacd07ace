"""What both engines share: the names of the Table Schema checks and the one
way to turn a failed check into a Problem, so that an error reads the same
whichever engine found it."""

from __future__ import annotations

from dprk_relations.model.package import Field, Table
from dprk_relations.model.problems import TYPE_NAMES, Problem, problem

# Table Schema constraint name -> rule slug
CONSTRAINT_RULES = {
    "required": "required",
    "enum": "enum",
    "pattern": "pattern",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive-minimum",
    "exclusiveMaximum": "exclusive-maximum",
    "minLength": "min-length",
    "maxLength": "max-length",
    "unique": "unique",
}
SCHEMA_RULES = ("type", *CONSTRAINT_RULES.values(), "primary-key", "foreign-key")


def _expected(field: Field, rule: str) -> str:
    c = field.constraints
    if rule == "enum":
        return ", ".join(str(v) for v in c["enum"])
    name = {v: k for k, v in CONSTRAINT_RULES.items()}.get(rule)
    return str(c.get(name, "")) if name else ""


def schema_problem(rule: str, table: Table, field: Field | None, line: int, value,
                   first_line: int | None = None, fk=None) -> Problem:
    where = dict(file=table.path, line=line)
    if rule == "type":
        hint = " such as 2018-03-25" if field.type == "date" else ""
        if field.type == "boolean":
            hint = f": {' or '.join(field.true_values + field.false_values)}"
        return problem("type", column=field.name, value=value, detail=TYPE_NAMES[field.type], hint=hint, **where)
    if rule in ("unique", "primary-key"):
        column = field.name if field else ",".join(table.primary_key)
        return problem(rule, column=column, value=value, detail=f"row {first_line}", **where)
    if rule == "foreign-key":
        target = f"{fk.resource}.{','.join(fk.reference_fields)}"
        return problem(rule, column=",".join(fk.fields), value=value, expected=target, **where)
    if rule == "pattern":
        hint = field.descriptor.get("x-pattern-hint", "Write a value that matches the pattern.")
        return problem(rule, column=field.name, value=value, expected=_expected(field, rule), detail=hint, **where)
    if rule == "max-length":
        value = value if value is None or len(str(value)) <= 80 else str(value)[:77] + "..."
    return problem(rule, column=field.name, value=value, expected=_expected(field, rule), **where)

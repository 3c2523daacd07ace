"""The catalogue of rules and the one constructor for the problems they raise.

Every check in every engine reports through :func:`problem`, so a rule's
title, message and suggested fix are written once, here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass


# How a type error names the type it wanted (shared by every engine, and pandas-free
# so that the frictionless worker process can report without importing pandas).
TYPE_NAMES = {"string": "text", "integer": "whole number", "number": "number",
              "boolean": "boolean", "date": "date (YYYY-MM-DD)"}


@dataclass(frozen=True)
class Rule:
    slug: str
    family: str  # descriptor | form | schema | rule | evidence
    title: str
    template: str  # str.format() template over the problem's params
    fix: str
    form_only: bool = False  # `fmt` can repair it without touching values
    # Rules a schema declares in "x-rules" (see dprk_relations.checks.rules.declare):
    params: dict | None = None  # key -> kind of value the declaration gives ("?key": optional)
    describe: Callable[[dict], str] | None = None  # the declaration in words, for the codebook
    check: Callable | None = None  # (typed table, declaration, typed tables) -> problems
    cross: Callable | None = None  # (table, declaration, tables) -> what it lacks in other tables
    codebook: str = ""  # a rule every table obeys, in words, for the codebook


RULES: dict[str, Rule] = {}


def add_rule(rule: Rule) -> Rule:
    if rule.slug in RULES:
        raise ValueError(f"rule {rule.slug!r} is declared twice")
    RULES[rule.slug] = rule
    return rule


def declare(slug: str, title: str, template: str, fix: str, *, params: dict, describe, check=None, cross=None,
            family: str = "rule") -> Rule:
    """A rule a schema can declare in "x-rules": everything about it in one object (its message
    and fix, the keys a declaration gives, its wording in the codebook, its implementation,
    and what it reads in other tables), entered in the catalogue every report uses."""
    return add_rule(Rule(slug, family, title, template, fix, params=params, describe=describe, check=check,
                         cross=cross))


def _rule(slug, family, title, template, fix, form_only=False, codebook=""):
    add_rule(Rule(slug, family, title, template, fix, form_only, codebook=codebook))


# -- descriptor: datapackage.json and schemas/*.json ------------------------
_rule("descriptor", "descriptor", "Invalid descriptor", "{detail}",
      "Correct the member named, as the message says (`frictionless validate datapackage.json` checks the "
      "descriptor against the Data Package specification).")
_rule("json", "descriptor", "Invalid JSON", "not valid JSON: {detail}",
      "Fix the JSON syntax at the line shown (a missing comma or quote is the usual cause).")
_rule("unsafe-path", "descriptor", "Path outside the package",
      "path {value!r} {detail}",
      "Use a relative path inside the package directory, without '..' or links.")
_rule("missing-file", "descriptor", "File not found", "{detail}",
      "Create the file or correct the path in the descriptor.")
_rule("field-type", "descriptor", "Unsupported field type",
      "field type {value!r} is not supported (supported: {detail})",
      "Use one of the supported Table Schema types.")

# -- form: bytes and CSV structure -------------------------------------------
_rule("unreadable", "form", "Unreadable file", "cannot read the file: {detail}",
      "Check that the file exists and is readable.")
_rule("encoding", "form", "Not UTF-8",
      "bytes {value} are not valid UTF-8 ({detail})",
      "Save the file as UTF-8 (in Excel: 'CSV UTF-8'; in LibreOffice: character set 'Unicode (UTF-8)').")
_rule("bom", "form", "Byte-order mark",
      "the file starts with a UTF-8 byte-order mark (BOM)",
      "Run `dprk-relations fmt` to remove it.", form_only=True)
_rule("line-ending", "form", "Windows line endings",
      "{detail} instead of LF; first at this line",
      "Run `dprk-relations fmt` to rewrite the line endings.", form_only=True)
_rule("delimiter", "form", "Wrong delimiter",
      "cells are separated by {value!r}, not by commas",
      "Run `dprk-relations fmt` to rewrite the file with commas.", form_only=True)
_rule("header", "form", "Wrong header", "{detail}",
      "Make the header row exactly the schema's field names, in schema order: {expected}.")
_rule("column-order", "form", "Columns out of order",
      "columns are in a different order from the schema's ({detail})",
      "Run `dprk-relations fmt` to put the columns in schema order.", form_only=True)
_rule("blank-row", "form", "Blank row", "the row is empty",
      "Run `dprk-relations fmt` to drop blank rows.", form_only=True)
_rule("extra-cell", "form", "Extra cell",
      "the row has {detail} cells but the header has {expected}",
      "Remove the extra cells, or quote a value that contains a comma.")
_rule("missing-cell", "form", "Missing cell",
      "the row has {detail} cells but the header has {expected}",
      "Add the missing cells (empty ones are written as nothing between two commas).")
_rule("csv-syntax", "form", "CSV syntax error",
      "the record starting on this line cannot be read as CSV: {detail}",
      "Look for an unbalanced double quote in this record: a cell that holds a comma, a quote or a line "
      "break is enclosed in double quotes, and a quote inside it is written twice (\"\").")
_rule("line-break", "form", "Line break in a cell",
      "the cell contains a line break, so the record spans several lines",
      "Keep each record on one line: replace the line break with a space.",
      codebook="No cell holds a line break, so each record is one line of its CSV file.")
_rule("not-canonical", "form", "Not in canonical form", "{detail}",
      "Run `dprk-relations fmt` to rewrite the file in canonical form.", form_only=True)
_rule("row-order", "form", "Rows out of key order",
      "rows are not in primary-key order: {value!r} comes after {detail!r}",
      "Run `dprk-relations fmt` to sort the rows.", form_only=True)

# -- schema: what a Table Schema states ---------------------------------------
_rule("type", "schema", "Wrong type", "{value!r} is not a valid {detail}",
      "Write a {detail} value{hint}.")
_rule("required", "schema", "Missing value", "a value is required",
      "Fill in the cell.")
_rule("enum", "schema", "Unknown category", "{value!r} is not one of the categories: {expected}",
      "Use one of the listed values, spelled exactly (categories are case-sensitive).")
_rule("pattern", "schema", "Pattern mismatch", "{value!r} does not match the pattern {expected}",
      "{detail}")
_rule("minimum", "schema", "Below minimum", "{value!r} is below the minimum {expected}",
      "Correct the value.")
_rule("maximum", "schema", "Above maximum", "{value!r} is above the maximum {expected}",
      "Correct the value (is a unit or a digit wrong?).")
_rule("exclusive-minimum", "schema", "Not above minimum",
      "{value!r} must be greater than {expected}", "Correct the value.")
_rule("exclusive-maximum", "schema", "Not below maximum",
      "{value!r} must be less than {expected}", "Correct the value.")
_rule("min-length", "schema", "Too short", "{value!r} is shorter than {expected} characters",
      "Write a longer value.")
_rule("max-length", "schema", "Too long", "the value is longer than {expected} characters",
      "Shorten the value.")
_rule("unique", "schema", "Duplicate value", "{value!r} already appears in {detail}",
      "Each value in this column must be unique.")
_rule("primary-key", "schema", "Duplicate key", "key {value!r} already appears in {detail}",
      "Give the record a key of its own (keys are unique slugs).")
_rule("foreign-key", "schema", "Unknown reference",
      "{value!r} is not in {expected}",
      "Use an existing key, or add the referenced record first.")

# -- rules no Table Schema can state -----------------------------------------
_rule("edtf", "rule", "Invalid EDTF date", "{value!r} is not a valid EDTF date: {detail}",
      "Write an EDTF date: 2018-03-25, 1960-05, 1961/1964, 2018-03-25/2018-03-28, 1960?, 2011-12~, ../1960-05.",
      codebook="Fields marked as EDTF hold valid EDTF dates whose intervals do not end before they start.")
_rule("formula", "rule", "Spreadsheet formula",
      "the text starts with {detail}, which a spreadsheet would run as a formula",
      "Reword the text so that it does not begin with =, +, -, @, a tab or a carriage return.",
      codebook="Text never begins with =, +, -, @, a tab or a carriage return (a spreadsheet would run it as a formula).")
_rule("whitespace", "rule", "Stray whitespace",
      "the value has {detail}", "Remove the spaces around the value.",
      codebook="No value has leading or trailing spaces.")
_rule("canonical-value", "rule", "Non-canonical spelling", "{value!r} should be written {expected}",
      "Write the value as shown.",
      codebook="Numbers, dates and booleans are written in one canonical spelling (1961, not +1961; 1961-01-01, not "
               "1961-1-1).")

# -- evidence ------------------------------------------------------------------
_rule("source-text-missing", "evidence", "Source text not found", "{detail}",
      "Put the text in a sources directory (--sources DIR or DPRK_RELATIONS_SOURCES).")
_rule("source-text-changed", "evidence", "Source text differs", "{detail}",
      "Use the exact text that was coded, or re-check every quote and update the sha256.")


@dataclass(frozen=True)
class Problem:
    """One error found in the data: where, what, which rule, how to fix it."""

    rule: str
    file: str | None
    line: int | None
    column: str | None
    value: str | None
    message: str
    fix: str
    severity: str = "error"

    @property
    def key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or "", self.rule)

    def to_dict(self) -> dict:
        return asdict(self)


def problem(rule: str, *, file=None, line=None, column=None, value=None,
            detail="", expected="", hint="", severity="error") -> Problem:
    """Build a Problem from the catalogue entry of ``rule``."""
    spec = RULES[rule]
    params = {"value": value, "detail": detail, "expected": expected, "hint": hint}
    return Problem(
        rule=rule,
        file=file,
        line=line,
        column=column,
        value=None if value is None else str(value),
        message=spec.template.format(**params),
        fix=spec.fix.format(**params),
        severity=severity,
    )

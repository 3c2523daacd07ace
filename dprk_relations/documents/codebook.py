"""The codebook of a release, generated from its schemas and data.

Everything a reader needs to use a column without opening the code: per
table what a row is, its key and row count; per field its type, whether it is
required, its constraints, description, categories with labels and counts,
examples; the rules every release satisfies; the coding rules and the
coverage, which live in datapackage.json (``x-coding-rules``, ``x-coverage``)
so that they travel with the data.
"""

from __future__ import annotations

import pandas as pd

from dprk_relations.checks.rules import describe, global_rules_in_words
from dprk_relations.documents.citation import citation_text
from dprk_relations.documents.counts import counts_markdown

TYPE_WORDS = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean (true/false)",
              "date": "date (YYYY-MM-DD)"}


class CodebookError(ValueError):
    """A field has no description: the release would have an undocumented column."""


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _constraints(field: dict) -> str:
    c = field.get("constraints") or {}
    out = []
    if "enum" in c:
        out.append("one of the categories below")
    if "pattern" in c:
        out.append(f"pattern `{c['pattern']}`")
    for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in c:
            out.append(f"{word} {c[key]}")
    if "minLength" in c:
        out.append(f"at least {c['minLength']} characters")
    if "maxLength" in c:
        out.append(f"at most {c['maxLength']} characters")
    if c.get("unique"):
        out.append("unique")
    if field.get("x-edtf"):
        out.append("EDTF date")
    if field.get("trueValues"):
        out.append(f"written {'/'.join(field['trueValues'] + field.get('falseValues', []))}")
    return "; ".join(out) or "–"


def _examples(rt, name: str, n: int = 3, width: int = 40) -> str:
    """The first ``n`` distinct non-empty values of a column, in row order.

    Read from a prefix of the column that grows eightfold until it holds ``n`` of them (or is the
    whole column), so a column of a million rows costs no more than its first rows as a rule,
    and never a loop over the rows in Python."""
    total, size, seen = len(rt.strings), 64, []
    while True:
        values = _column_strings(rt, name, slice(0, size))
        seen = list(pd.unique(values[values != ""])[:n])  # in order of appearance
        if len(seen) == n or size >= total:
            break
        size *= 8
    return ", ".join(f"`{_cell(v if len(v) <= width else v[:width - 1] + '…')}`" for v in seen) or "–"


def _column_strings(rt, name: str, rows: slice = slice(None)) -> pd.Series:
    """The column (or some of its rows) as strings: raw values as written, typed ones formatted."""
    if name in rt.strings.columns:
        return rt.strings[name].iloc[rows].astype(str)
    col = rt.typed[name].iloc[rows]
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.strftime("%Y-%m-%d").fillna("")
    return col.astype("string").fillna("").astype(str)


def _empty(rt, name: str) -> int:
    """The number of empty values of a column: "" as a string, or missing (a typed column)."""
    if name in rt.strings.columns:
        from dprk_relations.model.strings import is_empty

        return int(is_empty(rt.strings[name]).sum())
    col = rt.typed[name]
    missing = col.isna()
    if pd.api.types.is_string_dtype(col) or col.dtype == object:  # a typed text column may hold ""
        missing |= (col.astype("string") == "").fillna(False).astype(bool)
    return int(missing.sum())


def table_section(name: str, rt, resource: dict) -> list[str]:
    table = rt.table
    schema = rt.schema
    n = len(rt.strings)
    pk = ", ".join(f"`{k}`" for k in schema.get("primaryKey", []))
    lines = [f"## Table `{name}`", "",
             f"{table.row_description or resource.get('description', '')} Key: {pk}. Rows: {n}.", "",
             resource.get("description", ""), "",
             "| field | type | required | constraints | description | examples | empty |",
             "| --- | --- | --- | --- | --- | --- | ---: |"]
    categorical = []
    for f in schema["fields"]:
        desc = f.get("description", "").strip()
        if not desc:
            raise CodebookError(f"field {name}.{f['name']} has no description")
        if f.get("x-derived-from"):
            desc += " *Derived from " + ", ".join(f"`{s}`" for s in f["x-derived-from"]) + ".*"
        required = "yes" if (f.get("constraints") or {}).get("required") else "no"
        lines.append(f"| `{f['name']}` | {TYPE_WORDS.get(f.get('type', 'string'), f.get('type'))} | {required} | "
                     f"{_cell(_constraints(f))} | {_cell(desc)} | {_examples(rt, f['name'])} | "
                     f"{_empty(rt, f['name'])} |")
        if f.get("categories"):
            col = f["name"]
            categorical.append((f, rt.strings[col] if col in rt.strings.columns else _column_strings(rt, col)))
    fks = schema.get("foreignKeys", [])
    if fks:
        lines += ["", "References: " + "; ".join(
            f"`{','.join(fk['fields'])}` → `{fk['reference']['resource']}.{','.join(fk['reference']['fields'])}`"
            for fk in fks) + "."]
    for f, values in categorical:
        counts = values.value_counts()
        ordered = " (ordered)" if f.get("categoriesOrdered") else ""
        lines += ["", f"Categories of `{f['name']}`{ordered}:", "", "| value | label | rows |", "| --- | --- | ---: |"]
        lines += [f"| `{c['value']}` | {_cell(c.get('label', ''))} | {int(counts.get(c['value'], 0))} |"
                  for c in f["categories"]]
    rules = [describe(d) for d in schema.get("x-rules", [])]
    if rules:
        lines += ["", "Rules checked on every row:", ""] + [f"- {r}" for r in rules]
    return lines + [""]


def codebook(descriptor: dict, tables: dict) -> str:
    """The codebook as Markdown; raises CodebookError for an undocumented field."""
    resources = {r["name"]: r for r in descriptor.get("resources", [])}
    lines = [f"# Codebook: {descriptor.get('title', '')}", "",
             f"Version {descriptor.get('version', '')}" +
             (f", released {descriptor['created'][:10]}" if descriptor.get("created") else "") + ".", "",
             descriptor.get("description", ""), "",
             f"Cite as: {citation_text(descriptor)}", "",
             "## Tables", "", "| table | rows | key | a row is |", "| --- | ---: | --- | --- |"]
    for name, rt in tables.items():
        pk = ", ".join(f"`{k}`" for k in rt.schema.get("primaryKey", []))
        lines.append(f"| [`{name}`](#table-{name.replace('_', '-')}) | {len(rt.strings)} | {pk} | "
                     f"{_cell(rt.table.row_description)} |")
    lines += ["", "## Coding rules", ""]
    for item in descriptor.get("x-coding-rules", []):
        lines.append(f"- **{item['name']}.** {item['rule']}")
    lines += ["", "Every table also satisfies these rules:", ""] + [f"- {r}" for r in global_rules_in_words()]
    lines += ["", "## Coverage", ""]
    lines += [f"- {item}" for item in descriptor.get("x-coverage", [])]
    lines.append("")
    lines += counts_markdown(tables)
    for name, rt in tables.items():
        lines += table_section(name, rt, resources.get(name, {}))
    return "\n".join(lines).rstrip("\n") + "\n"

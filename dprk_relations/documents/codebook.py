"""The codebook of a release, generated from its schemas and data.

Everything a reader needs to use a column without opening the code: first
what to read before counting anything (which rows happened, how to count
visits, dates and sources, with a recipe that a test runs); per
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
from dprk_relations.documents.counts import counts_markdown, third_country_summits

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
    whole column), so a long column costs no more than its first rows as a rule. A plain loop
    over that prefix: a pandas call per column cost more than the loop, 253 columns a build."""
    total, size = len(rt.strings), 64
    while True:
        seen = []  # in order of appearance
        prefix = (rt.strings[name].iloc[:size] if name in rt.strings.columns  # raw: strings already
                  else _column_strings(rt, name, slice(0, size)))
        for value in prefix.tolist():
            if value != "" and value not in seen:
                seen.append(value)
                if len(seen) == n:
                    break
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
    if pd.api.types.is_bool_dtype(col):  # as the CSV writes them, not Python's True/False
        return col.astype("string").str.lower().fillna("").astype(str)
    return col.astype("string").fillna("").astype(str)


def _empty(rt, name: str) -> int:
    """The number of empty values of a column: "" as a string, or missing (a typed column)."""
    if name in rt.strings.columns:
        return rt.strings[name].tolist().count("")
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


RECIPE = """\
import pandas as pd

v = pd.read_parquet("data/visits.parquet")
v = v[(v["status"] == "occurred") & v["visitor_office_id"].notna()]
decade = (pd.to_datetime(v["date_sort"]).dt.year // 10 * 10).rename("decade")
counts = v.groupby(["dyad", "direction", decade], observed=True, dropna=False).size()
print(counts.unstack("decade", fill_value=0))
"""


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _status_lines(rt) -> list[str]:
    """The categories of a table's status, with labels and row counts, from its schema."""
    field = next((f for f in rt.schema["fields"] if f["name"] == "status" and f.get("categories")), None)
    if field is None:
        return []
    counts = rt.strings["status"].value_counts()
    return [f"`{c['value']}` ({_cell(c.get('label', ''))}, {_rows(int(counts.get(c['value'], 0)))})"
            for c in field["categories"]]


def _open_dates(tables: dict) -> list[str]:
    """Per EDTF field with open ends: how many rows a grouping by its earliest day would lose."""
    out = []
    for name, rt in tables.items():
        for f in rt.schema["fields"]:
            if not f.get("x-edtf") or f"{f['name']}_sort" not in rt.typed:
                continue
            dated = rt.typed[f"{f['name']}_sort"].notna()
            starts = int((rt.typed[f"{f['name']}_min"].isna() & dated).sum())
            ends = int((rt.typed[f"{f['name']}_max"].isna() & dated).sum())
            parts = [f"{n} open {what}{'s' if n > 1 else ''}" for n, what in ((starts, "start"), (ends, "end")) if n]
            if parts:
                out.append(f"`{name}.{f['name']}`: " + " and ".join(parts))
    return out


def read_first(tables: dict) -> list[str]:
    """What a reader must know before counting anything, from the schemas and the data."""
    lines = ["## Read this first", ""]
    visits = tables.get("visits")
    if visits is not None:
        statuses = _status_lines(visits)
        lines += ["**Which rows happened.** Not every row is something that took place. In `visits`, only status "
                  "`occurred` is a visit that was made; the other rows record an invitation, a request, a plan, a "
                  "refusal, a postponement or a cancellation, dated when that happened. Visits by status: "
                  + ", ".join(statuses) + "."]
    for name in ("aid", "sanctions"):
        if name in tables and _status_lines(tables[name]):
            lines += ["", f"In `{name}`, `status` says what became of the record; filter on it before counting: "
                      + ", ".join(_status_lines(tables[name])) + "."]
    if visits is not None and "dyad" in visits.typed:
        lines += ["", "**Counting visits.** One row is one visit, however many days it lasted (`date_form` interval) "
                  "and even when its day is one of a range ([A..B], `date_form` one-of): count rows, never days. "
                  "Count `status == \"occurred\"`. A visit is leader-level when `visitor_office_id` is filled (the "
                  "visitor travelled in a top office of their state), an envoy's mission when `envoy_of_id` is. "
                  "Statements, events and agreements that name a `visit_id` happened during that visit: they add no "
                  "visit. Each visit names its sides' states (`visitor_state_id`, `host_state_id`), the pair without "
                  "direction (`dyad`: the two ids in alphabetical order joined by an underscore, `chn_prk`) and "
                  "`direction` (`from-prk`: a North Korean travels; `to-prk`: North Korea hosts; `other`: neither "
                  "side is North Korea). Statements and events name their sides' states and dyad the same way."]
    lines += ["", "**Dates.** Every EDTF date field `d` comes with `d_min` and `d_max` (earliest and latest possible "
              "day), `d_precision` (the finest calendar unit that holds the whole span: day, month, year, decade, "
              "century; `open` where an end is open or unknown; a visit of 25-28 March is month, 1961/1964 decade), "
              "`d_days` (`d_max - d_min + 1`, empty where open), `d_form` (single, interval: lasted; one-of: once, "
              "on an unknown day within), `d_uncertain` (`?` or `%`) and `d_approximate` (`~` or `%`). To sort, "
              "or to group by year or decade, use **`d_sort`**: `d_min`, or where the start is open "
              "(`../1960-05`, `[..1957-11-13]`) `d_max`; it is filled on every dated row. `d_min` is empty for an "
              "open start and `d_max` for an open end (a tenure still held), and pandas' `groupby` leaves out rows "
              "whose key is empty unless told `dropna=False`."]
    opened = _open_dates(tables)
    if opened:
        lines += ["", "Open dates in this release: " + "; ".join(opened) + "."]
    lines += ["", "**Sources and figures, without counting twice.** A record's `source_count` is the number of "
              "distinct sources that cite it; `citations` may hold several passages of one source for one record, so "
              "count distinct `source_id` per record (`record_table`, `record_id`), never citation rows. A source "
              "with `original_publisher` filled is a repost or mirror of another's text (a wire story on a "
              "newspaper's site): two reposts of one story are one report, so for independent corroboration count "
              "distinct `original_publisher` where it is filled (as the sources print it: `Xinhua` and `Xinhua News "
              "Agency` are one)."]
    aid = tables.get("aid")
    if aid is not None and {"part_of_id", "variant_of_id"} <= set(aid.strings.columns):
        from dprk_relations.model.strings import is_empty

        part, variant = (~is_empty(aid.strings[c]) for c in ("part_of_id", "variant_of_id"))
        lines += ["", f"In `aid`, a figure with `part_of_id` is included in that record's amount "
                  f"({int(part.sum())} rows), and one with `variant_of_id` is another source's figure for the "
                  f"same flow ({int(variant.sum())} rows): to add amounts up, keep only the "
                  f"{int((~part & ~variant).sum())} rows with neither filled, or you count money twice."]
    if visits is not None and "dyad" in visits.typed:
        lines += ["", "**Recipe: leader-level visits per dyad, direction and decade.** Visits that took place "
                  "(`occurred`), made in a top office of the visitor's state (`visitor_office_id` filled), counted "
                  "by `dyad`, `direction` and the decade of `date_sort`; pandas, run from the release's folder:",
                  "", "```python", RECIPE.rstrip("\n"), "```", "",
                  "This gives the numbers of the leader-level table under *Visits by dyad, direction and decade* "
                  "below, which merges two things this recipe keeps apart: the rows `prk_sun` and `prk_rus` are "
                  "one row there (Soviet Union / Russia)"]
        moved = third_country_summits(tables)
        moved = moved[moved["kind"] == "leader"] if len(moved) else moved
        if len(moved):
            lines[-1] += (", and a North Korean leader's summit in a third country, which is its own dyad here, is "
                          "counted there for the state of the leader met: " + "; ".join(
                              f"`{r.visit_id}` (`{r.dyad}`, counted for `{r.partner_state}`)"
                              for r in moved.itertuples()))
        lines[-1] += "."
    return lines + [""]


def codebook(descriptor: dict, tables: dict) -> str:
    """The codebook as Markdown; raises CodebookError for an undocumented field."""
    resources = {r["name"]: r for r in descriptor.get("resources", [])}
    lines = [f"# Codebook: {descriptor.get('title', '')}", "",
             f"Version {descriptor.get('version', '')}" +
             (f", released {descriptor['created'][:10]}" if descriptor.get("created") else "") + ".", "",
             descriptor.get("description", ""), "",
             f"Cite as: {citation_text(descriptor)}", ""]
    lines += read_first(tables)
    lines += ["## Tables", "", "| table | rows | key | a row is |", "| --- | ---: | --- | --- |"]
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

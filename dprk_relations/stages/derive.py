"""The columns a release adds to the raw records, and their schema.

Every derived column is computed here from raw columns it names in its
``x-derived-from`` property, so a reader can trace it back:

- for each EDTF field ``f``: ``f_min`` and ``f_max`` (earliest and latest
  possible day), ``f_precision`` (the calendar unit that holds the span, or
  open), ``f_days`` (the span's length), ``f_form`` (single, interval,
  one-of), ``f_sort`` (a day for every dated row, open starts included) and
  the qualifiers ``f_uncertain`` and ``f_approximate``;
- for records with citations: ``source_count`` and ``source_ids``;
- for citations: the record cited, as ``record_table`` and ``record_id``;
- for records between two actors (visits, statements, events): each side's
  state (``visitor_state_id``, ...), the ``dyad``, and for visits the
  ``direction`` relative to North Korea;
- for aid: ``amount_usd`` and ``amount_usd_rate_id``, from exchange_rates.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dprk_relations.model import dates
from dprk_relations.model.package import Package, Table

PRECISION_CATEGORIES = [
    {"value": "day", "label": "One day"},
    {"value": "month", "label": "Within one calendar month"},
    {"value": "year", "label": "Within one calendar year"},
    {"value": "decade", "label": "Within one decade (1960-1969)"},
    {"value": "century", "label": "Wider than a decade"},
    {"value": "open", "label": "An end is open or unknown"},
]
FORM_CATEGORIES = [
    {"value": "single", "label": "One date, at its precision"},
    {"value": "interval", "label": "Lasted from the earliest to the latest day"},
    {"value": "one-of", "label": "Happened once, on one day between the earliest and the latest day"},
]
PRECISION_RULE = (
    "the finest calendar unit that holds every possible day from {n}_min to {n}_max, whatever the form: "
    "day, month, year, decade (1960-1969), century (anything wider); open where an end is open or unknown. "
    "It is the unit a record can be counted in without being split: 1961/1964 is decade, a visit of 25-28 "
    "March 2018 is month, [1969-12..1970-01] is century (a calendar unit, not a length: see {n}_days)."
)
SORT_RULE = (
    "{n}_min, the earliest possible day; where the start is open or unknown (../1960-05, [..1957-11-13]), "
    "{n}_max, the latest. Filled wherever {n} is, so sorting or grouping by it drops no dated row, "
    "where {n}_min would drop the open starts."
)
FOCAL_STATE = "prk"  # the state whose relations the dataset records: the visits' direction is relative to it
DYAD_SEPARATOR = "_"  # never in a key (keys are lowercase letters, digits and hyphens), so a dyad splits back
# Record table -> its two actor columns, in the order the dyad's direction reads (who acts, towards whom).
STATE_SIDES = {"visits": ("visitor_id", "host_id"), "statements": ("speaker_id", "addressee_id"),
               "events": ("actor_id", "counterpart_id")}
DIRECTION_CATEGORIES = [
    {"value": "from-prk", "label": "A North Korean visits another state"},
    {"value": "to-prk", "label": "North Korea hosts a visitor from another state"},
    {"value": "other", "label": "North Korea is on neither side (a visit between two other states)"},
]
AMOUNT_USD_RULE = (
    "amount divided by the units_per_usd of the one exchange rate with the same currency and "
    "currency basis whose validity covers the whole of the record's date; empty when the basis is "
    "unspecified, when no rate or more than one rate applies, or when the date is open-ended. "
    "Amounts in USD are copied."
)


@dataclass
class ReleaseTable:
    table: Table
    schema: dict  # the release Table Schema: raw fields plus derived ones
    strings: pd.DataFrame  # raw columns as the canonical raw strings
    typed: pd.DataFrame  # every column typed (raw and derived)


def _edtf_fields(name: str) -> list[dict]:
    base = {"x-derived-from": [name]}
    return [
        {"name": f"{name}_min", "type": "date", **base,
         "description": f"Earliest possible day of {name} (derived from the EDTF value; empty for an open start)."},
        {"name": f"{name}_max", "type": "date", **base,
         "description": f"Latest possible day of {name} (derived from the EDTF value; empty for an open end)."},
        {"name": f"{name}_precision", "type": "string", **base,
         "description": f"Precision of {name}: " + PRECISION_RULE.format(n=name),
         "constraints": {"enum": [c["value"] for c in PRECISION_CATEGORIES]},
         "categories": PRECISION_CATEGORIES, "categoriesOrdered": True},
        {"name": f"{name}_days", "type": "integer", **base,
         "description": f"Days from {name}_min to {name}_max, both included ({name}_max - {name}_min + 1): how "
                        f"long an interval lasted, or how many days a one-of range or a month or year leaves "
                        f"open. Empty where an end is open or unknown.",
         "constraints": {"minimum": 1}},
        {"name": f"{name}_form", "type": "string", **base,
         "description": f"What {name} says: single (one date, at its precision), interval (the record lasted "
                        f"from {name}_min to {name}_max: EDTF A/B), or one-of (it happened once, on one day "
                        f"between {name}_min and {name}_max that the sources do not give: EDTF [A..B]). Count a "
                        f"one-of record once, never once per day of its range.",
         "constraints": {"enum": [c["value"] for c in FORM_CATEGORIES]},
         "categories": FORM_CATEGORIES},
        {"name": f"{name}_sort", "type": "date", **base,
         "description": f"The day to sort and group by {name}: " + SORT_RULE.format(n=name)},
        {"name": f"{name}_uncertain", "type": "boolean", **base,
         "description": f"Whether {name}, or an end of it, is marked uncertain (EDTF ? or %: the source "
                        f"hedges, or the coder inferred it). Empty where {name} is."},
        {"name": f"{name}_approximate", "type": "boolean", **base,
         "description": f"Whether {name}, or an end of it, is marked approximate (EDTF ~ or %: 'about', "
                        f"'around'). Empty where {name} is."},
    ]


CITED_FIELDS = [
    {"name": "source_count", "type": "integer", "x-derived-from": ["citations.source_id"],
     "description": "Number of distinct sources cited for the record (corroboration).",
     "constraints": {"required": True, "minimum": 1, "maximum": 100000}},
    {"name": "source_ids", "type": "string", "x-derived-from": ["citations.source_id"],
     "description": "The ids of those sources, sorted, separated by spaces.",
     "constraints": {"required": True}},
]
AMOUNT_FIELDS = [
    {"name": "amount_usd", "type": "number", "x-derived-from": ["amount", "currency", "currency_basis", "date",
                                                                 "exchange_rates.units_per_usd"],
     "description": "The amount in US dollars: " + AMOUNT_USD_RULE, "constraints": {"minimum": 0}},
    {"name": "amount_usd_rate_id", "type": "string", "x-derived-from": ["exchange_rates.rate_id"],
     "description": "The exchange rate used for amount_usd; empty when none was."},
]


def _side_state(column: str) -> str:
    return column.removesuffix("_id") + "_state_id"


def state_sides(package: Package, table: Table) -> tuple[str, str] | None:
    """The table's two actor columns whose states it gets, or None (no such table, or no actors)."""
    sides = STATE_SIDES.get(table.name)
    if sides is None or "actors" not in package.tables or not set(sides) <= set(table.field_names):
        return None
    return sides


def _state_fields(table: Table, sides: tuple[str, str]) -> list[dict]:
    lookup = ["actors.actor_type", "actors.state_id"]
    a, b = (_side_state(c) for c in sides)
    out = [{"name": _side_state(c), "type": "string", "x-derived-from": [c, *lookup],
            "description": f"The state of {c}: the actor itself where it is a state, else the state it belongs "
                           f"to (actors.state_id; for a person, their nationality, not a claim that they spoke "
                           f"or acted for it). Empty where {c} is empty or its actor belongs to no state (the UN "
                           f"Security Council, a group of states)."}
           for c in sides]
    out.append({"name": "dyad", "type": "string", "x-derived-from": [*sides, *lookup],
                "description": f"The pair of states the record is between, without direction: {a} and {b} in "
                               f"alphabetical order, joined by an underscore (chn_prk whoever visits whom). Keys "
                               f"never contain an underscore, so splitting at it gives the two ids back. Empty "
                               f"where a side has no state, or both sides have the same one."})
    if table.name == "visits":
        out.append({"name": "direction", "type": "string", "x-derived-from": [*sides, *lookup],
                    "description": f"The visit seen from North Korea ({FOCAL_STATE}): from-prk when {a} is "
                                   f"{FOCAL_STATE} and {b} is not, to-prk when {b} is {FOCAL_STATE} and {a} is "
                                   f"not, other otherwise.",
                    "constraints": {"required": True, "enum": [c["value"] for c in DIRECTION_CATEGORIES]},
                    "categories": DIRECTION_CATEGORIES})
    return out


def citation_targets(table: Table) -> dict[str, str]:
    """Citation column -> the record table it points to, in the order of the citation-target rule."""
    rule = next((r for r in table.rules if r.get("rule") == "citation-target"), None)
    if rule is None:
        return {}
    points_to = {fk.fields[0]: fk.resource for fk in table.foreign_keys if len(fk.fields) == 1}
    return {f: points_to[f] for f in rule["fields"] if f in points_to}


def _record_fields(package: Package, targets: dict[str, str]) -> list[dict]:
    columns = list(targets)
    tables = list(dict.fromkeys(targets.values()))
    categories = [{"value": t, "label": package.tables[t].title if t in package.tables else t} for t in tables]
    return [
        {"name": "record_table", "type": "string", "x-derived-from": columns,
         "description": "The table of the record the passage supports: the table that the one filled column of "
                        + ", ".join(columns) + " points to.",
         "constraints": {"required": True, "enum": tables}, "categories": categories},
        {"name": "record_id", "type": "string", "x-derived-from": columns,
         "description": "The key of that record in record_table (the value of that filled column). The pair "
                        "(record_table, record_id) names every cited record in one form: join or group by it.",
         "constraints": {"required": True}},
    ]


def cited_tables(package: Package) -> dict[str, str]:
    """Record table -> the citations column that points to it."""
    cit = package.tables.get("citations")
    if cit is None:
        return {}
    return {fk.resource: fk.fields[0] for fk in cit.foreign_keys
            if fk.resource != "sources" and len(fk.fields) == 1}


def release_schema(package: Package, table: Table) -> dict:
    schema = copy.deepcopy(table.schema)
    schema.pop("$schema", None)
    fields = schema["fields"]
    out = []
    for f in fields:
        out.append(f)
    for f in table.fields:
        if f.edtf:
            out += copy.deepcopy(_edtf_fields(f.name))
    sides = state_sides(package, table)
    if sides:
        out += _state_fields(table, sides)
    if table.name in cited_tables(package):
        out += copy.deepcopy(CITED_FIELDS)
    targets = citation_targets(table)
    if targets:
        out += _record_fields(package, targets)
    if table.name == "aid" and "exchange_rates" in package.tables:
        out += copy.deepcopy(AMOUNT_FIELDS)
    schema["fields"] = out
    return schema


def _amount_usd(aid: pd.DataFrame, rates: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    usd = pd.Series(np.nan, index=aid.index, dtype="float64")
    rate_ids = pd.Series([None] * len(aid), index=aid.index, dtype=object)
    for i, row in aid.iterrows():
        amount, cur = row["amount"], row["currency"]
        if pd.isna(amount) or pd.isna(cur):
            continue
        if cur == "USD":
            usd[i] = float(amount)
            continue
        basis = row.get("currency_basis")
        if isinstance(basis, str) and basis == "unspecified":
            continue
        lo, hi = row.get("date_min"), row.get("date_max")
        if pd.isna(lo) or pd.isna(hi):
            continue
        same = rates[(rates["currency"] == cur) &
                     ((rates["currency_basis"] == basis) if isinstance(basis, str) else rates["currency_basis"].isna())]
        fits = same[(same["valid_from"].isna() | (same["valid_from"] <= pd.Timestamp(lo))) &
                    (same["valid_to"].isna() | (same["valid_to"] >= pd.Timestamp(hi)))]
        if len(fits) == 1:
            usd[i] = float(amount) / float(fits["units_per_usd"].iloc[0])
            rate_ids[i] = fits["rate_id"].iloc[0]
    return usd, rate_ids


def _states(actors: pd.DataFrame, sides: pd.DataFrame) -> pd.DataFrame:
    """Each side's state (itself for a state, else actors.state_id), the dyad and the direction."""
    own = actors["actor_type"] == "state"
    state_of = pd.Series(actors["state_id"].where(~own, actors["actor_id"]).to_numpy(), index=actors["actor_id"])
    state_of = state_of[state_of.fillna("") != ""]
    a, b = (sides[c].map(state_of).astype("string") for c in sides.columns)
    x, y = a.fillna(""), b.fillna("")
    first, second = x.where(x < y, y), y.where(x < y, x)
    dyad = (first + DYAD_SEPARATOR + second).where((x != "") & (y != "") & (x != y))
    direction = pd.Series("other", index=sides.index, dtype="string")
    direction[(x == FOCAL_STATE) & (y != FOCAL_STATE)] = "from-prk"
    direction[(y == FOCAL_STATE) & (x != FOCAL_STATE)] = "to-prk"
    return pd.DataFrame({"a": a, "b": b, "dyad": dyad.astype("string"), "direction": direction})


def _cited_record(citations: pd.DataFrame, targets: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """The record each citation points to: the first filled target column (validation lets one be)."""
    from dprk_relations.model.strings import is_empty

    record_table = pd.Series(pd.NA, index=citations.index, dtype="string")
    record_id = pd.Series(pd.NA, index=citations.index, dtype="string")
    for column, table in targets.items():
        here = ~is_empty(citations[column]) & record_id.isna()
        record_table[here] = table
        record_id[here] = citations.loc[here, column].astype("string")
    return record_table, record_id


def _corroboration(citations: pd.DataFrame, column: str, keys: pd.Series) -> tuple[pd.Series, pd.Series]:
    """For each record key: how many distinct sources cite it, and their ids (sorted, space-separated)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from dprk_relations.model.strings import cells

    cited = pc.fill_null(cells(citations[column]), "")
    cited_by = pc.not_equal(cited, "")
    pairs = pa.table({"key": cited.filter(cited_by),
                      "source": pc.fill_null(cells(citations["source_id"]), "").filter(cited_by)})
    # Code point order within a record, as Python sorts strings: Arrow compares UTF-8 bytes, which sort the same.
    pairs = pairs.sort_by([("key", "ascending"), ("source", "ascending")])
    cited, source = pairs.column("key").combine_chunks(), pairs.column("source").combine_chunks()
    n = len(cited)

    def changes(col):  # where a sorted column differs from the row before it
        return pc.not_equal(col.slice(1), col.slice(0, n - 1)).to_numpy(zero_copy_only=False)

    if n:
        new_key = np.concatenate([[True], changes(cited)])
        distinct = new_key | np.concatenate([[True], changes(source)])  # a source twice for a record: once
        cited, source, new_key = cited.filter(distinct), source.filter(distinct), new_key[distinct]
        starts = np.flatnonzero(new_key)
    else:
        starts = np.zeros(0, dtype=np.int64)
    # Each record's sources are a run of the sorted pairs: one list per run.
    lists = pa.ListArray.from_arrays(pa.array(np.concatenate([starts, [len(cited)]]), type=pa.int32()), source)
    at = pc.index_in(cells(keys), value_set=cited.take(pa.array(starts, type=pa.int64())))
    count = pc.fill_null(pc.take(pc.list_value_length(lists), at), 0)
    ids = pc.take(pc.binary_join(lists, pa.scalar(" ", lists.type.value_type)), at)
    return (pd.Series(pd.array(count.to_numpy(zero_copy_only=False), dtype="Int64"), index=keys.index),
            pd.Series(pd.array(ids, dtype="string[pyarrow]"), index=keys.index))


def derive(package: Package, typed_tables: dict) -> dict[str, ReleaseTable]:
    """Release tables from validated raw tables (``typed_tables``: name -> checks.typed.Typed)."""
    cites = typed_tables.get("citations")
    targets = cited_tables(package)
    out = {}
    for name, t in typed_tables.items():
        table = t.table
        pk = list(table.primary_key)
        strings = t.frame.sort_values(pk, kind="stable") if pk else t.frame
        order = strings.index
        typed = t.typed_frame()
        if order.equals(pd.RangeIndex(len(order))):  # valid raw files are in key order already
            strings = t.frame
        else:
            strings = strings.reset_index(drop=True)
            typed = typed.loc[order].reset_index(drop=True)
        extra = {}
        for f in table.fields:
            if f.edtf:
                spans = dates.derive(strings[f.name].where(strings[f.name] != "", None))
                for part in ("min", "max", "sort"):
                    extra[f"{f.name}_{part}"] = pd.to_datetime(spans[part]).astype("datetime64[s]")
                for part in ("precision", "form"):
                    extra[f"{f.name}_{part}"] = pd.Series(spans[part], dtype="string")
                extra[f"{f.name}_days"] = spans["days"]
                extra[f"{f.name}_uncertain"] = spans["uncertain"]
                extra[f"{f.name}_approximate"] = spans["approximate"]
        sides = state_sides(package, table)
        if sides and "actors" in typed_tables:
            got = _states(typed_tables["actors"].frame, strings[list(sides)])
            extra[_side_state(sides[0])], extra[_side_state(sides[1])] = got["a"], got["b"]
            extra["dyad"] = got["dyad"]
            if name == "visits":
                extra["direction"] = got["direction"]
        if name in targets and cites is not None:
            extra["source_count"], extra["source_ids"] = _corroboration(cites.frame, targets[name], strings[pk[0]])
        record_targets = citation_targets(table)
        if record_targets:
            extra["record_table"], extra["record_id"] = _cited_record(strings, record_targets)
        typed = pd.concat([typed, pd.DataFrame(extra)], axis=1) if extra else typed
        out[name] = ReleaseTable(table, release_schema(package, table), strings, typed)
    if "aid" in out and "exchange_rates" in out:
        aid = out["aid"].typed
        usd, rate_ids = _amount_usd(aid, out["exchange_rates"].typed)
        aid["amount_usd"] = pd.array(usd.to_numpy(), dtype="Float64")
        aid.loc[usd.isna(), "amount_usd"] = pd.NA
        aid["amount_usd_rate_id"] = pd.Series(rate_ids, dtype="string")
    return out


def release_tables(package_dir, sources=None, engine="auto", strict=False):
    """(package, release tables, report) from raw data: validated, then derived;
    package is None when the raw data is invalid."""
    from dprk_relations.stages.validate import check_package

    report, package, typed = check_package(package_dir, sources=sources, engine=engine, strict=strict)
    if not report.valid:
        return None, {}, report
    return package, derive(package, typed), report

"""The columns a release adds to the raw records, and their schema.

Every derived column is computed here from raw columns it names in its
``x-derived-from`` property, so a reader can trace it back:

- for each EDTF field ``f``: ``f_min`` and ``f_max`` (earliest and latest
  possible day), ``f_precision`` (day, month, year, decade, century) and
  ``f_form`` (single, interval, one-of);
- for records with citations: ``source_count`` and ``source_ids``;
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
    {"value": "day", "label": "Exact day"},
    {"value": "month", "label": "Month"},
    {"value": "year", "label": "Year"},
    {"value": "decade", "label": "Decade"},
    {"value": "century", "label": "Century"},
]
FORM_CATEGORIES = [
    {"value": "single", "label": "One date, at its precision"},
    {"value": "interval", "label": "Lasted from the earliest to the latest day"},
    {"value": "one-of", "label": "Happened once, on one day between the earliest and the latest day"},
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


def _edtf_fields(name: str, field) -> list[dict]:
    base = {"x-derived-from": [name]}
    return [
        {"name": f"{name}_min", "type": "date", **base,
         "description": f"Earliest possible day of {name} (derived from the EDTF value; empty for an open start)."},
        {"name": f"{name}_max", "type": "date", **base,
         "description": f"Latest possible day of {name} (derived from the EDTF value; empty for an open end)."},
        {"name": f"{name}_precision", "type": "string", **base,
         "description": f"Precision of {name}: the coarsest unit of its ends (day, month, year, decade, century); "
                        f"for a one-of-a-set range, the finest unit that holds the whole range "
                        f"([2018-03-08..2018-03-25] is month).",
         "constraints": {"enum": [c["value"] for c in PRECISION_CATEGORIES]},
         "categories": PRECISION_CATEGORIES, "categoriesOrdered": True},
        {"name": f"{name}_form", "type": "string", **base,
         "description": f"What {name} says: single (one date, at its precision), interval (the record lasted "
                        f"from {name}_min to {name}_max: EDTF A/B), or one-of (it happened once, on one day "
                        f"between {name}_min and {name}_max that the sources do not give: EDTF [A..B]). Count a "
                        f"one-of record once, never once per day of its range.",
         "constraints": {"enum": [c["value"] for c in FORM_CATEGORIES]},
         "categories": FORM_CATEGORIES},
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
            out += copy.deepcopy(_edtf_fields(f.name, f))
    if table.name in cited_tables(package):
        out += copy.deepcopy(CITED_FIELDS)
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
                extra[f"{f.name}_min"] = pd.to_datetime(spans["min"]).astype("datetime64[s]")
                extra[f"{f.name}_max"] = pd.to_datetime(spans["max"]).astype("datetime64[s]")
                extra[f"{f.name}_precision"] = pd.Series(spans["precision"], dtype="string")
                extra[f"{f.name}_form"] = pd.Series(spans["form"], dtype="string")
        if name in targets and cites is not None:
            extra["source_count"], extra["source_ids"] = _corroboration(cites.frame, targets[name], strings[pk[0]])
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

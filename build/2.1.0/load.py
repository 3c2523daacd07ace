"""Load a dprk-relations release into pandas: a dict of DataFrames, one per table.

    import load                                  # this file, beside datapackage.json
    tables = load.load_dprk_relations(".")       # the release folder (or its datapackage.json)
    visits = tables["visits"]

Needs only pandas and pyarrow (and the standard library): it travels inside every
release so that the release can be used without anything else. Every file is
checked against the size and sha256 datapackage.json (or datapackage-parquet.json)
gives before it is read. The Parquet files are read when they are there, the
CSVs otherwise; both give the same frames, typed by the Table Schemas in
datapackage.json:

- categories: pandas Categorical with the schema's levels, in order, ordered where
  the schema says so (labels in ``df.attrs["labels"][column]``);
- dates: ``datetime64[s]``; integers ``Int64``; numbers ``Float64``; booleans
  ``boolean``; text ``string``; missing values ``<NA>``;
- fields that list values (``x-separator`` in the schema): Python lists of
  strings (the CSV cell split at the separator), None where empty.

Command line: ``python load.py [release folder]`` prints every table's shape.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path, PurePosixPath

import pandas as pd

PARQUET_DESCRIPTOR = "datapackage-parquet.json"


class LoadError(Exception):
    """The release cannot be loaded; the message says which file and why."""


def _checked_bytes(root: Path, res: dict) -> bytes:
    rel = res.get("path")
    # The descriptor comes with the download: it must not make us read outside the release.
    if not isinstance(rel, str) or PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts \
            or "\\" in rel or ":" in rel:
        raise LoadError(f"resource {res.get('name')!r}: path {rel!r} is not inside the release")
    try:
        data = (root / rel).read_bytes()
    except OSError as exc:
        raise LoadError(f"{rel}: {exc.strerror or exc}") from None
    if "bytes" in res and len(data) != res["bytes"]:
        raise LoadError(f"{rel}: {len(data)} bytes, the descriptor says {res['bytes']}")
    digest = str(res.get("hash", ""))
    if not digest.startswith("sha256:"):
        raise LoadError(f"{rel}: the descriptor gives no sha256 hash, so the file cannot be checked")
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest[7:]:
        raise LoadError(f"{rel}: corrupted or tampered with: sha256 {actual}, the descriptor says {digest[7:]}")
    return data


def _typed(series: pd.Series, field: dict, missing: list) -> pd.Series:
    """One column in the dtype its schema field asks for, from CSV strings or Parquet values."""
    kind = field.get("type", "string")
    enum = (field.get("constraints") or {}).get("enum")
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        cells = series.astype(object)
        series = cells.where(~cells.map(lambda v: isinstance(v, str) and v in missing), None)
    if kind == "string" and field.get("x-separator"):  # a list: split in CSV, an array in Parquet
        sep = field["x-separator"]
        return series.map(lambda v: v.split(sep) if isinstance(v, str) else (None if v is None else list(v)))
    if kind == "string" and enum:
        dtype = pd.CategoricalDtype([str(v) for v in enum], ordered=bool(field.get("categoriesOrdered")))
        return series.astype(object).where(series.notna(), None).astype(dtype)
    if kind == "string":
        return series.astype(object).where(series.notna(), None).astype("string")
    if kind == "integer":
        return pd.to_numeric(series).astype("Int64")
    if kind == "number":
        return pd.to_numeric(series).astype("Float64")
    if kind == "boolean":
        if series.map(lambda v: isinstance(v, str)).any():  # from CSV: the schema's spellings
            truth = {v: True for v in field.get("trueValues", ["true"])}
            truth.update({v: False for v in field.get("falseValues", ["false"])})
            series = series.map(truth)
        return series.astype("boolean")
    if kind == "date":
        return pd.to_datetime(series, format="%Y-%m-%d").astype("datetime64[s]")
    raise LoadError(f"field {field.get('name')!r}: unknown type {kind!r}")


def _frame(root: Path, res: dict, parquet: dict | None) -> pd.DataFrame:
    schema = res["schema"]
    fields = schema["fields"]
    missing = schema.get("missingValues", [""])
    if parquet is not None:
        import pyarrow.parquet as pq

        raw = pq.read_table(io.BytesIO(_checked_bytes(root, parquet))).to_pandas(date_as_object=False)
        for f in fields:  # dictionary columns arrive as categoricals: plain values first, then the schema's levels
            if isinstance(raw[f["name"]].dtype, pd.CategoricalDtype):
                raw[f["name"]] = raw[f["name"]].astype(object)
    else:
        # keep_default_na=False: "NA" (Namibia) and "null" are values here; only the schema's missing values are missing.
        raw = pd.read_csv(io.BytesIO(_checked_bytes(root, res)), dtype=str, keep_default_na=False,
                          na_filter=False, encoding="utf-8")
    names = [f["name"] for f in fields]
    if list(raw.columns) != names:
        raise LoadError(f"{res['path']}: columns {list(raw.columns)} differ from the schema's {names}")
    frame = pd.DataFrame({f["name"]: _typed(raw[f["name"]], f, missing) for f in fields})
    frame.attrs["table"] = res["name"]
    frame.attrs["description"] = res.get("description", "")
    frame.attrs["descriptions"] = {f["name"]: f.get("description", "") for f in fields}
    frame.attrs["labels"] = {f["name"]: {c["value"]: c.get("label", c["value"]) for c in f["categories"]}
                             for f in fields if f.get("categories")}
    frame.attrs["primary_key"] = list(schema.get("primaryKey", []))
    return frame


def _parquet_resources(root: Path, desc: dict) -> dict:
    """Table name -> its Parquet resource: in datapackage-parquet.json, or (in the
    releases up to 2.0.0) in datapackage.json itself as "<table>-parquet"."""
    found = list(desc.get("resources", []))
    companion = root / PARQUET_DESCRIPTOR
    if companion.is_file():
        found += json.loads(companion.read_text(encoding="utf-8")).get("resources", [])
    return {str(r.get("name", "")).removesuffix("-parquet"): r for r in found
            if isinstance(r, dict) and r.get("format") == "parquet"}


def load_dprk_relations(path=".", prefer: str = "parquet") -> dict[str, pd.DataFrame]:
    """Table name -> DataFrame, in the release's order. ``path``: the release
    folder or its datapackage.json; ``prefer``: "parquet" or "csv" (same frames)."""
    root = Path(path)
    if root.is_file():
        root = root.parent
    try:
        desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"{root}: no readable datapackage.json ({exc})") from None
    parquets = _parquet_resources(root, desc)
    tables = {}
    for res in desc.get("resources", []):
        if res.get("type") == "table" and isinstance(res.get("schema"), dict):
            tables[res["name"]] = _frame(root, res, parquets.get(res["name"]) if prefer == "parquet" else None)
    if not tables:
        raise LoadError(f"{root}: the release has no tables")
    return tables


if __name__ == "__main__":
    for name, df in load_dprk_relations(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent).items():
        print(f"{name}: {len(df)} rows, {len(df.columns)} columns")

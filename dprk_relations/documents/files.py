"""Write the files of a release into a directory, deterministically.

Nothing here reads the clock, the user name or an absolute path: the same
release tables and metadata give the same bytes, on any machine with the same
lock file. Parquet files carry real types (date32, dictionary categories,
nullable integers, booleans), zstd compression and field descriptions in the
Arrow schema; CSV files use the canonical form of the raw files.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


from dprk_relations.model.csvfile import write_csv
from dprk_relations.model.types import csv_cells, field_type
from dprk_relations.stages.derive import ReleaseTable

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
# x-repository: where the code and raw files live (Data Package has no key for it); with
# homepage, carried into the release README and CITATION.cff once the maintainers set it.
TOP_KEYS = ("$schema", "name", "id", "title", "description", "version", "created", "homepage", "x-repository",
            "keywords", "licenses", "contributors", "sources", "x-coding-rules", "x-coverage")
PARQUET_DESCRIPTOR = "datapackage-parquet.json"
# What the Parquet descriptor repeats of datapackage.json: enough to say what it is and whose.
PARQUET_TOP_KEYS = ("$schema", "version", "created", "homepage", "x-repository", "licenses", "contributors")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dumps_json(obj) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _column_strings(rt: ReleaseTable, field: dict) -> pd.Series:
    """One column as the strings its CSV cells hold ("" when missing): raw columns as written."""
    name = field["name"]
    if name in rt.strings.columns:
        return rt.strings[name].astype(object).fillna("")
    return csv_cells(rt.typed[name], field)


def csv_bytes(rt: ReleaseTable) -> bytes:
    """The table as canonical CSV: header, rows in key order, minimal quoting, LF."""
    names = [f["name"] for f in rt.schema["fields"]]
    return write_csv(names, zip(*(_column_strings(rt, f).tolist() for f in rt.schema["fields"])))


def arrow_table(rt: ReleaseTable, version: str) -> pa.Table:
    arrays, fields = [], []
    for f in rt.schema["fields"]:
        kind = field_type(f)
        dtype, arr = kind.arrow(f), kind.to_arrow(rt.typed[f["name"]], f)
        meta = {"description": f.get("description", "")}
        if f.get("x-derived-from"):
            meta["derived_from"] = " ".join(f["x-derived-from"])
        fields.append(pa.field(f["name"], dtype, nullable=not (f.get("constraints") or {}).get("required"),
                               metadata=meta))
        arrays.append(arr)
    schema = pa.schema(fields, metadata={
        "dataset": "dprk-relations", "version": version, "table": rt.table.name,
        "description": rt.table.description, "primary_key": ",".join(rt.table.primary_key)})
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(rt: ReleaseTable, version: str) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(arrow_table(rt, version), sink, compression="zstd", compression_level=9,
                   use_dictionary=True, write_statistics=True, store_schema=True,
                   data_page_version="2.0", version="2.6")
    return sink.getvalue().to_pybytes()


def descriptor(source: dict, tables: dict[str, ReleaseTable], files: dict[str, bytes], version: str,
               created: str | None, parquet: bool = False) -> dict:
    """The release's datapackage.json: metadata, inline schemas, sizes and hashes of the CSVs.

    With ``parquet``: datapackage-parquet.json, the Parquet files as file resources
    named like their tables. They live in a descriptor of their own because a
    resource in datapackage.json must be a tabular CSV for rOpenSci's frictionless,
    whose read_resource() stops on any other; frictionless-py still checks both."""
    out = {k: source[k] for k in TOP_KEYS if k in source}
    out["version"] = version
    if created:
        out["created"] = created
    else:
        out.pop("created", None)
    if parquet:
        name = out.get("name", "dprk-relations")
        meta = {k: out[k] for k in ("$schema",) if k in out}
        meta.update({"name": f"{name}-parquet", "title": f"{out.get('title', name)} (Parquet)",
                     "description": "The tables of datapackage.json as Parquet files, with the same rows and "
                                    "columns and Arrow types (dates, categories, nullable integers, booleans). "
                                    "datapackage.json describes the columns."})
        meta.update({k: out[k] for k in PARQUET_TOP_KEYS if k in out and k != "$schema"})
        resources = []
        for name, rt in tables.items():
            pq_path = f"data/{name}.parquet"
            resources.append({
                "name": name, "title": f"{rt.table.title} (Parquet)",
                "description": f"The rows and columns of {name} in datapackage.json, with Arrow types.",
                "type": "file", "path": pq_path, "format": "parquet", "mediatype": PARQUET_MEDIATYPE,
                "bytes": len(files[pq_path]), "hash": "sha256:" + sha256_hex(files[pq_path]),
            })
        meta["resources"] = resources
        return meta
    resources = []
    for name, rt in tables.items():
        res = next(r for r in source["resources"] if r["name"] == name)
        csv_path = f"data/{name}.csv"
        resources.append({
            "name": name, "title": res.get("title", name), "description": res.get("description", ""),
            "type": "table", "profile": "tabular-data-resource", "path": csv_path, "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8",
            "bytes": len(files[csv_path]), "hash": "sha256:" + sha256_hex(files[csv_path]),
            "dialect": {"delimiter": ",", "quoteChar": "\"", "header": True},
            "schema": rt.schema,
        })
    out["resources"] = resources
    return out


def sha256sums(files: dict[str, bytes]) -> bytes:
    lines = [f"{sha256_hex(data)}  {path}\n" for path, data in sorted(files.items())]
    return "".join(lines).encode("utf-8")


def zip_bytes(files: dict[str, bytes], top: str) -> bytes:
    """A zip whose bytes depend on nothing but the files: fixed times, order, modes, level."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{top}/{path}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, whatever the machine that builds
            zf.writestr(info, files[path], compresslevel=9)
    return buf.getvalue()


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in sorted(files.items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()

"""Load a release into pandas, typed by its schemas.

``load()`` takes the latest release in ``build/``, a published version
("1.0.0", or "latest" for the newest in the registry: from ``build/`` when it
is there, otherwise downloaded once into the per-user cache and verified
against the registry's sha256, see :mod:`dprk_relations.access.download`), a release
directory, or a release zip someone downloaded (unpacked with the
untrusted-archive checks, into a temporary directory). The descriptor's
shape is checked, and every file it lists against its size and sha256,
before anything is read; a file that does not hold what its schema says
raises LoadError (`dprk-relations verify` checks every value). Parquet is
read when present, CSV otherwise; both give the same frames:

- categories: pandas Categorical with the schema's levels, ordered where the
  schema says so (labels in ``df.attrs["labels"][column]``);
- dates: ``datetime64[s]``; integers ``Int64``; numbers ``Float64``;
  booleans ``boolean``; text ``string``; missing values ``<NA>``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from pathlib import Path

import pandas as pd
from pyarrow import ArrowException

from dprk_relations.access.errors import LoadError

VERSION = re.compile(r"^\d+\.\d+\.\d+$")


class Tables(dict):
    """Table name -> DataFrame, in the release's order, with its descriptor."""

    descriptor: dict = {}

    @property
    def version(self) -> str:
        return self.descriptor.get("version", "")


def _repo_build_dirs() -> list[Path]:
    return [Path.cwd() / "build", Path(__file__).resolve().parent.parent / "build"]


def latest_release(build_dir: Path) -> Path | None:
    versions = [p for p in Path(build_dir).glob("*") if p.is_dir() and VERSION.match(p.name)]
    if not versions:
        return None
    return max(versions, key=lambda p: tuple(int(x) for x in p.name.split(".")))


def _locate(where) -> Path:
    if where is None:
        for d in _repo_build_dirs():
            found = latest_release(d)
            if found is not None:
                return found
        raise LoadError("no release found in build/ (run `dprk-relations build`, or give a path or a version)")
    if isinstance(where, str) and (where == "latest" or VERSION.match(where)) and not Path(where).exists():
        version = where
        if where == "latest":  # the newest published version, as the registry lists them
            from dprk_relations.access.registry import RegistryError, read

            try:
                version = read().latest()
            except RegistryError as exc:
                raise LoadError(str(exc)) from None
        for d in _repo_build_dirs():
            if (d / version).is_dir():
                return d / version
        from dprk_relations.access.download import fetch  # a published version not built here: download it (once), verified

        return fetch(version)
    path = Path(where)
    if path.is_file() and path.name == "datapackage.json":
        return path.parent
    if path.exists():
        return path
    raise LoadError(f"{where}: no such release directory, zip or version")


def _checked_bytes(root: Path, res: dict) -> bytes:
    from dprk_relations.model.package import safe_relpath

    path, why = safe_relpath(res.get("path"), root)
    if path is None:
        raise LoadError(f"resource {res.get('name')!r}: path {why}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{res.get('path')}: {exc.strerror or exc}") from None
    if "bytes" in res and len(data) != res["bytes"]:
        raise LoadError(f"{res['path']}: {len(data)} bytes, the descriptor says {res['bytes']}")
    digest = str(res.get("hash", ""))
    if not digest.startswith("sha256:"):
        raise LoadError(f"{res['path']}: the descriptor gives no sha256 hash, so the file cannot be checked")
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest[7:]:
        raise LoadError(f"{res['path']}: corrupted or tampered with: datapackage.json: sha256 {digest[7:]}, "
                        f"the file has {actual}")
    return data


def _typed(series: pd.Series, field: dict, missing: list) -> pd.Series:
    """One column in the dtype its schema field asks for (from CSV strings or Parquet values)."""
    from dprk_relations.model.types import field_type

    try:
        kind = field_type(field)
    except ValueError as exc:
        raise LoadError(str(exc)) from None
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):  # a missing value is missing
        hit = series.isin(missing)
        if hit.any():
            series = series.astype(object).where(~hit, None)
    if str(series.dtype) == kind.pandas and kind.name not in ("category", "list"):
        return series  # Arrow gave the column its dtype already
    return kind.load(series, field)


def _frame(root: Path, res: dict, parquet: dict | None) -> pd.DataFrame:
    import io

    schema = res["schema"]
    fields = schema["fields"]
    missing = schema.get("missingValues", [""])
    if parquet is not None:
        import pyarrow.parquet as pq

        data = _checked_bytes(root, parquet)
        try:
            table = pq.read_table(io.BytesIO(data))
        except (ArrowException, OSError, ValueError) as exc:  # the bytes are in memory: OSError is corruption
            raise LoadError(f"{parquet.get('path')}: not a readable Parquet file ({str(exc)[:200]})") from None
        from dprk_relations.model.types import arrow_to_pandas

        raw = table.to_pandas(types_mapper=arrow_to_pandas().get, date_as_object=False)
    else:
        raw = pd.read_csv(io.BytesIO(_checked_bytes(root, res)), dtype=str, keep_default_na=False, na_filter=False,
                          encoding="utf-8")
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


PARQUET_DESCRIPTOR = "datapackage-parquet.json"


def _parquet_descriptor_resources(root: Path) -> list:
    """The resources of datapackage-parquet.json, the Parquet files' own descriptor
    (apart, so that datapackage.json holds only tables rOpenSci's frictionless reads)."""
    path = root / PARQUET_DESCRIPTOR
    if not path.exists():
        return []
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"{PARQUET_DESCRIPTOR}: not a readable descriptor ({exc})") from None
    resources = desc.get("resources") if isinstance(desc, dict) else None
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise LoadError(f"{PARQUET_DESCRIPTOR}: not a descriptor: it needs a list of resources")
    return resources


def _load_dir(root: Path, prefer: str) -> Tables:
    from dprk_relations.model.package import PackageError, load_package

    try:
        load_package(root)  # the descriptor's shape, paths and schemas, before anything relies on them
        desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    except PackageError as exc:
        why = "; ".join(f"{p.file}{f' [{p.column}]' if p.column else ''}: {p.message}" for p in exc.problems[:3])
        raise LoadError(f"{root}: not a usable release: {why}") from None
    except (OSError, ValueError) as exc:
        raise LoadError(f"{root}: not a release (cannot read datapackage.json: {exc})") from None
    resources = desc["resources"]
    listed = resources + _parquet_descriptor_resources(root)
    for res in listed:  # a release is whole or refused: every file, not only those read
        _checked_bytes(root, res)
    # Up to 2.0.0 the Parquet files were "<table>-parquet" resources of datapackage.json;
    # since, datapackage-parquet.json lists them under their tables' names.
    parquets = {r["name"].removesuffix("-parquet"): r for r in listed
                if isinstance(r, dict) and isinstance(r.get("name"), str) and r.get("format") == "parquet"}
    tables = Tables()
    tables.descriptor = desc
    for res in resources:
        if res.get("type") == "table" and isinstance(res.get("schema"), dict):
            pq_res = parquets.get(res["name"]) if prefer == "parquet" else None
            try:
                tables[res["name"]] = _frame(root, res, pq_res)
            except LoadError:
                raise
            except (ValueError, TypeError, KeyError, IndexError, OverflowError, ArrowException) as exc:
                # The hashes matched, so the release says what it means, and it is not what its schema says.
                raise LoadError(f"{res.get('path')}: does not hold what its schema describes "
                                f"({type(exc).__name__}: {str(exc)[:200]}); `dprk-relations verify` "
                                f"says more") from None
    if not tables:
        raise LoadError(f"{root}: the release has no tables")
    return tables


def load(path_or_version=None, table: str | None = None, *, prefer: str = "parquet"):
    """The release's tables (name -> DataFrame), or one table by name.

    ``path_or_version``: None for the latest release in build/; a published
    version ("1.0.0", or "latest"), downloaded and verified if it is not in
    build/; a release directory, its datapackage.json, or a release zip.
    ``prefer``: "parquet" (default) or "csv"; the frames are the same.
    """
    if prefer not in ("parquet", "csv"):
        raise ValueError("prefer must be 'parquet' or 'csv'")
    root = _locate(path_or_version)
    if root.is_file():
        from dprk_relations.access.archive import UnsafeArchive, extract_release

        try:
            scratch = tempfile.TemporaryDirectory(prefix="dprk-load-")
        except OSError as exc:
            raise LoadError(f"{root}: cannot unpack it into a temporary directory: {exc.strerror or exc}") from None
        with scratch as tmp:
            try:
                inner = extract_release(root, Path(tmp))
            except UnsafeArchive as exc:
                raise LoadError(f"{root}: refused: {exc}") from None
            except OSError as exc:
                raise LoadError(f"{root}: cannot unpack it into a temporary directory "
                                f"({tempfile.gettempdir()}): {exc.strerror or exc}") from None
            tables = _load_dir(inner, prefer)
    else:
        tables = _load_dir(root, prefer)
    if table is None:
        return tables
    if table not in tables:
        raise LoadError(f"no table {table!r}; the release has {', '.join(tables)}")
    return tables[table]

"""`load()` gives correctly typed frames from a release directory or zip, the
same from Parquet and CSV; DuckDB reading the Parquet files agrees."""

import shutil
import zipfile

import pandas as pd
import pytest

import dprk_relations
from dprk_relations.access.load import LoadError


def test_types_come_from_the_schemas(release):
    tables = dprk_relations.load(release)
    assert list(tables) == ["actors", "offices", "sources", "events", "agreements", "visits", "aid", "sanctions",
                            "statements", "citations", "exchange_rates"]
    v = tables["visits"]
    assert str(v["visit_id"].dtype) == "string"
    assert isinstance(v["status"].dtype, pd.CategoricalDtype)
    assert list(v["status"].cat.categories) == ["occurred", "planned", "invited", "requested", "declined",
                                                "postponed", "cancelled"]
    assert not v["status"].cat.ordered and v["confidence"].cat.ordered
    assert list(v["confidence"].cat.categories) == ["low", "medium", "high"]
    assert str(v["first_visit"].dtype) == "boolean" and v["first_visit"].sum() >= 1
    assert list(v["date_form"].cat.categories) == ["single", "interval", "one-of"]
    assert str(v["date_min"].dtype) == "datetime64[s]"
    assert str(v["source_count"].dtype) == "Int64"
    aid = tables["aid"]
    assert str(aid["amount"].dtype) == "Float64" and str(aid["year_start"].dtype) == "Int64"
    # USD amounts are copied; a ruble amount of unspecified basis gets none
    usd = aid["currency"] == "USD"
    assert (aid.loc[usd, "amount_usd"] == aid.loc[usd, "amount"]).all()
    assert aid.loc[aid["currency_basis"] == "unspecified", "amount_usd"].isna().all()
    rates = tables["exchange_rates"]
    assert str(rates["valid_from"].dtype) == "datetime64[s]"
    assert v.attrs["labels"]["status"]["declined"] == "Requested and declined"
    assert v.attrs["descriptions"]["host_id"] == "The state visited."


def test_one_table_by_name_and_unknown_names(release, sample):
    visits = dprk_relations.load(release, "visits")
    assert len(visits) == sum(1 for _ in open(sample / "raw/visits.csv", encoding="utf-8")) - 1
    with pytest.raises(LoadError, match="no table 'visit'"):
        dprk_relations.load(release, "visit")


def test_parquet_and_csv_give_identical_frames(release):
    a = dprk_relations.load(release)
    b = dprk_relations.load(release, prefer="csv")
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def test_a_zip_loads_like_the_directory(release):
    z = next(release.glob("*.zip"))
    a, b = dprk_relations.load(release), dprk_relations.load(z)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_default_is_the_latest_release_in_build(release, monkeypatch, tmp_path):
    build_dir = tmp_path / "build"
    shutil.copytree(release, build_dir / "1.2.0")
    shutil.copytree(release, build_dir / "1.10.0")
    monkeypatch.chdir(tmp_path)
    assert dprk_relations.load().descriptor is not None
    assert dprk_relations.load()["visits"].shape == dprk_relations.load(build_dir / "1.10.0")["visits"].shape
    assert dprk_relations.access.load.latest_release(build_dir).name == "1.10.0"


def test_a_tampered_file_is_refused(release, tmp_path):
    copy = tmp_path / "r"
    shutil.copytree(release, copy)
    path = copy / "data" / "aid.parquet"
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="aid.parquet.*sha256"):
        dprk_relations.load(copy)


def test_an_unsafe_zip_is_refused(tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("x/datapackage.json", "{}")
        zf.writestr("../../escape.txt", "x")
    with pytest.raises(LoadError, match="refused"):
        dprk_relations.load(z)
    assert not (tmp_path.parent / "escape.txt").exists()


def _plain(value):
    if value is None or value is pd.NA or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def test_duckdb_reads_the_same_values_from_parquet(release):
    import duckdb

    tables = dprk_relations.load(release)
    con = duckdb.connect()
    for name, frame in tables.items():
        path = release / "data" / f"{name}.parquet"
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        rows = con.execute(f"SELECT {cols} FROM read_parquet('{path}')").fetchall()
        assert len(rows) == len(frame)
        ours = [[_plain(v) for v in row] for row in frame.astype(object).itertuples(index=False)]
        theirs = [[_plain(v) for v in row] for row in rows]
        assert ours == theirs, name
    n = con.execute(f"SELECT count(*) FROM read_parquet('{release}/data/visits.parquet') "
                    "WHERE status = 'occurred' AND date_min >= DATE '2018-01-01'").fetchone()[0]
    v = tables["visits"]
    assert n == int(((v["status"] == "occurred") & (v["date_min"] >= "2018-01-01")).sum()) > 0


def test_a_missing_value_in_a_parquet_string_column_is_missing_as_in_the_csv(release, tmp_path):
    """A string cell that holds one of the schema's missing values (here "") is missing, from either file."""
    import hashlib
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "release"
    shutil.copytree(release, root)
    path = root / "data" / "actors.parquet"
    table = pq.read_table(path)
    at = next(i for i, f in enumerate(table.schema) if f.type == pa.string() and table.column(i).null_count == 0
              and f.name != "actor_id")
    name = table.schema.field(at).name
    cells = table.column(at).to_pylist()
    table = table.set_column(at, table.schema.field(at), pa.array([""] + cells[1:], type=pa.string()))
    pq.write_table(table, path)
    desc_path = root / "datapackage-parquet.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    data = path.read_bytes()
    for res in desc["resources"]:
        if res["path"] == "data/actors.parquet":
            res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    desc_path.write_text(json.dumps(desc, indent=2), encoding="utf-8")
    got = dprk_relations.load(root, "actors")[name]
    assert got.isna().tolist() == [True] + [False] * (len(cells) - 1), name
    assert got.iloc[1:].tolist() == cells[1:]

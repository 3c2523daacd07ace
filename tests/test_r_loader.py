"""`datapackage/load.R`: real R reads a built release exactly as the Parquet files say.

R loads the release's CSVs through the Table Schemas and writes a summary
(`Rscript datapackage/load.R summary ...`); Python reads the Parquet files of the
same release with pyarrow, independently, and every class, level and value
must agree. The loader must also refuse unsafe zips and tampered CSVs.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import REPO, Copy

LOADER = REPO / "datapackage" / "load.R"
INT32_MAX = 2**31 - 1  # R's integer range is +-(2^31 - 1); -2^31 is NA_integer_


@pytest.fixture
def release(release, tmp_path) -> Path:
    """A fresh copy of the session's build of the sample (conftest's ``release``),
    which a test may damage: building per test would cost most of the run time."""
    return Path(shutil.copytree(release, tmp_path / release.name))


def run_r(rscript: str, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([rscript, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def r_summary(rscript: str, target: Path, out: Path) -> list[dict]:
    res = run_r(rscript, LOADER, "summary", target, out)
    assert res.returncode == 0, res.stderr
    return json.loads(out.read_text(encoding="utf-8"))["tables"]


def csv_tables(release_dir: Path) -> list[dict]:
    desc = json.loads((release_dir / "datapackage.json").read_text(encoding="utf-8"))
    return [r for r in desc["resources"] if r.get("type") == "table" and r.get("format") == "csv"]


def parquet_path(release_dir: Path, name: str) -> Path:
    # The Parquet files have their own descriptor, under their tables' names, since
    # datapackage.json lists only what rOpenSci's frictionless can read (CSV tables).
    desc = json.loads((release_dir / "datapackage-parquet.json").read_text(encoding="utf-8"))
    (res,) = [r for r in desc["resources"] if r["name"] == name]
    assert res["format"] == "parquet"
    return release_dir / res["path"]


def expected_class(field: dict) -> str:
    """The R class that the loader's documented mapping gives a schema field."""
    kind = field.get("type", "string")
    cons = field.get("constraints") or {}
    if kind == "string" and cons.get("enum"):
        return "ordered factor" if field.get("categoriesOrdered") else "factor"
    if kind == "integer":
        lo, hi = cons.get("minimum"), cons.get("maximum")
        bounded = lo is not None and hi is not None and -INT32_MAX <= lo and hi <= INT32_MAX
        return "integer" if bounded else "numeric"
    return {"string": "character", "number": "numeric", "boolean": "logical", "date": "Date"}[kind]


def from_r(value, r_class: str):
    """A value of R's summary as the Python object pyarrow gives for it."""
    if value is None:
        return None
    if r_class == "logical":
        assert isinstance(value, bool), value
        return value
    assert isinstance(value, str), (r_class, value)
    if r_class == "integer":
        return int(value)
    if r_class == "numeric":
        return float(value)
    if r_class == "Date":
        return dt.date.fromisoformat(value)
    return value


def assert_matches_parquet(summary: list[dict], release_dir: Path) -> None:
    resources = csv_tables(release_dir)
    assert [t["name"] for t in summary] == [r["name"] for r in resources]
    seen_classes, nulls = set(), 0
    for table, res in zip(summary, resources):
        name, fields = res["name"], res["schema"]["fields"]
        pq_table = pq.read_table(parquet_path(release_dir, name))
        assert pq_table.num_rows > 0, name
        assert (table["nrow"], table["ncol"]) == (pq_table.num_rows, pq_table.num_columns), name
        assert [c["name"] for c in table["columns"]] == pq_table.column_names == [f["name"] for f in fields]
        assert table["description"] == res["description"], name
        for col, field in zip(table["columns"], fields):
            where = f"{name}.{col['name']}"
            assert col["class"] == expected_class(field), where
            assert col["description"] == field.get("description"), where
            enum = (field.get("constraints") or {}).get("enum")
            assert col["levels"] == (enum if col["class"].endswith("factor") else None), where
            got = [from_r(v, col["class"]) for v in col["values"]]
            want = pq_table.column(col["name"]).to_pylist()
            if field.get("x-separator"):  # a list in Parquet; R keeps the CSV's text, separator and all
                want = [None if w is None else field["x-separator"].join(w) for w in want]
            assert len(got) == len(want), where
            for line, (g, w) in enumerate(zip(got, want), start=2):
                assert g == w, f"{where} line {line}: R {g!r} != Parquet {w!r}"
                # A double for an integer field (see expected_class) equals its int64.
                assert type(g) is type(w) or col["class"] == "numeric", f"{where} line {line}: {g!r} vs {w!r}"
            seen_classes.add(col["class"])
            nulls += got.count(None)
    # The comparison is only as good as what the release exercises.
    assert seen_classes == {"character", "factor", "ordered factor", "integer", "numeric", "logical", "Date"}
    assert nulls > 0


@pytest.mark.parametrize("form", ["directory", "descriptor", "zip"])
def test_r_reads_every_value_as_the_parquet_files_have_it(rscript, release, tmp_path, form):
    target = {"directory": release, "descriptor": release / "datapackage.json",
              "zip": release / f"dprk-relations-{release.name}.zip"}[form]
    assert target.exists()
    summary = r_summary(rscript, target, tmp_path / "summary.json")
    assert_matches_parquet(summary, release)


def test_sourcing_the_loader_only_defines_functions(rscript, release, tmp_path):
    code = f"""
        source({json.dumps(str(LOADER))})
        cat(sort(ls()), sep = "\\n", file = stderr())
        rel <- load_dprk_relations({json.dumps(str(release))})
        stopifnot(inherits(rel$visits, "tbl_df"), is.ordered(rel$visits$confidence),
                  nzchar(attr(rel$visits, "description")),
                  identical(attr(rel$visits$first_visit, "description"),
                            {json.dumps(next(f["description"] for r in csv_tables(release) if r["name"] == "visits"
                                             for f in r["schema"]["fields"] if f["name"] == "first_visit"))}))
        cat(names(rel), sep = "\\n")
    """
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    res = run_r(rscript, "-e", code, cwd=cwd)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [r["name"] for r in csv_tables(release)]
    assert "load_dprk_relations" in res.stderr.split()
    assert list(cwd.iterdir()) == []  # the command-line part did not run: nothing written


@pytest.mark.parametrize("entry", ["dprk-relations-{v}/../../escaped.txt", "/tmp/escaped-{v}.txt"])
def test_a_zip_with_an_unsafe_entry_is_refused(rscript, release, tmp_path, entry):
    version = release.name
    entry = entry.format(v=version)
    good = release / f"dprk-relations-{version}.zip"
    evil = tmp_path / f"dprk-relations-{version}.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():  # an otherwise complete release, so only the entry can make it fail
            dst.writestr(info, src.read(info))
        dst.writestr(zipfile.ZipInfo(entry), b"should never be written\n")
    assert entry in zipfile.ZipFile(evil).namelist()
    out = tmp_path / "summary.json"
    res = run_r(rscript, LOADER, "summary", evil, out)
    assert res.returncode != 0
    assert "unsafe entry" in res.stderr and entry in res.stderr, res.stderr
    assert not out.exists()
    assert not Path(f"/tmp/escaped-{version}.txt").exists()


def _rename(rows):
    rows[0][rows[0].index("first_visit")] = "first_visited"


def _swap(rows):
    i, j = rows[0].index("visit_type"), rows[0].index("status")
    for r in rows:
        r[i], r[j] = r[j], r[i]


@pytest.mark.parametrize("damage", [_rename, _swap], ids=["renamed", "swapped"])
def test_a_csv_whose_header_differs_from_the_schema_is_refused(rscript, release, tmp_path, damage):
    copy = Copy(release)
    rows = copy.rows("data/visits.csv")
    damage(rows)
    copy.write_rows("data/visits.csv", rows)
    res = run_r(rscript, LOADER, "summary", release, tmp_path / "summary.json")
    assert res.returncode != 0
    assert "visits.csv: header does not match the schema" in res.stderr, res.stderr
    assert not (tmp_path / "summary.json").exists()


@pytest.mark.parametrize("column,value,message", [
    ("first_visit", "yes", "column first_visit is boolean but has 'yes'"),
    ("confidence", "certain", "expected value in level set, got 'certain'"),
    ("date_min", "1960-02-30", "got '1960-02-30'"),
    ("source_count", "2.5", "expected an integer, got '2.5'"),
])
def test_a_cell_that_does_not_match_its_type_is_refused(rscript, release, tmp_path, column, value, message):
    # readr alone would load these as NA with a warning; the loader must stop.
    copy = Copy(release)
    copy.set_cell("data/visits.csv", 2, column, value)
    res = run_r(rscript, LOADER, "summary", release, tmp_path / "summary.json")
    assert res.returncode != 0
    assert "visits.csv" in res.stderr and message in res.stderr, res.stderr


def test_an_unbounded_integer_is_read_as_double_and_must_be_whole(rscript, release, tmp_path):
    # Without a maximum the field may exceed R's 32-bit integers: read as double, checked whole.
    desc_path = release / "datapackage.json"
    desc = json.loads(desc_path.read_text())
    for res in desc["resources"]:
        for f in res.get("schema", {}).get("fields", []):
            if f["name"] == "source_count":
                f["constraints"].pop("maximum")
    desc_path.write_text(json.dumps(desc))
    ok = run_r(rscript, LOADER, "summary", release, tmp_path / "ok.json")
    assert ok.returncode == 0, ok.stderr
    summary = json.loads((tmp_path / "ok.json").read_text())
    visits = next(t for t in summary["tables"] if t["name"] == "visits")
    assert next(c for c in visits["columns"] if c["name"] == "source_count")["class"] == "numeric"
    Copy(release).set_cell("data/visits.csv", 2, "source_count", "2.5")
    res = run_r(rscript, LOADER, "summary", release, tmp_path / "bad.json")
    assert res.returncode != 0 and "column source_count is integer but has fractions" in res.stderr

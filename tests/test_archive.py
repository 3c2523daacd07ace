"""A release is usable with nothing but its zip: the loaders it carries, run from
the unpacked zip with a plain interpreter, give the frames dprk_relations.load()
gives, and the README's code runs as written.

The Python loader runs under ``python -I`` (no PYTHONPATH, no user site) with
dprk_relations made unimportable, so that it cannot lean on this package; R runs
``source("load.R")`` in the unpacked folder.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import dprk_relations
from conftest import REPO, run_cli

# Run before the code under test: whatever tries to import dprk_relations fails, as it
# would for a researcher without it; the folder is on sys.path as for `python` run there.
PLAIN = textwrap.dedent("""
    import os, sys
    sys.modules["dprk_relations"] = None
    sys.path.insert(0, os.getcwd())
""")


@pytest.fixture(scope="module")
def built(release) -> Path:
    """The session's build of the sample (read only here: tests that change it copy it)."""
    return release


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory) -> Path:
    """The release as a researcher has it: the zip, unpacked somewhere else."""
    dest = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(built / f"dprk-relations-{built.name}.zip") as zf:
        zf.extractall(dest)
    (inner,) = dest.iterdir()
    return inner


@pytest.fixture(scope="module")
def ours(built) -> dict:
    return dprk_relations.load(built)


def run_plain_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-c", PLAIN + code], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


# Fields that list values, and the separator their CSV cells use (from the schemas).
SEPARATORS = {f["name"]: f["x-separator"] for p in (REPO / "schemas").glob("*.json")
              for f in json.loads(p.read_text(encoding="utf-8"))["fields"] if f.get("x-separator")}


def _plain(v, sep="; "):
    """A value as comparable across pandas dtypes and R: None for missing, dates as days."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if not isinstance(v, str) and hasattr(v, "__len__"):  # a list (Parquet: an array): as CSV holds it
        return sep.join(map(str, v))
    return str(v)


def column_values(series: pd.Series) -> list:
    sep = SEPARATORS.get(series.name, "; ")
    return [_plain(v, sep) for v in series.astype(object).tolist()]


def test_the_zip_holds_both_loaders_both_descriptors_and_a_readme(built, unpacked):
    for name in ("load.R", "load.py"):
        assert (unpacked / name).read_bytes() == (REPO / "datapackage" / name).read_bytes(), name
    assert (unpacked / "datapackage-parquet.json").is_file()
    readme = (unpacked / "README.md").read_text(encoding="utf-8")
    contents = readme[readme.index("## Contents"):readme.index("## How to cite")]
    listed = re.findall(r"^- `([^`]+)`", contents, flags=re.M)
    on_disk = sorted(p.relative_to(unpacked).as_posix() for p in unpacked.iterdir() if p.is_file())
    # Every file beside the data is listed, and only those: the zip is not inside itself.
    assert sorted(listed + ["README.md"]) == on_disk
    assert not any(f.endswith(".zip") for f in listed)


def test_the_readme_says_where_the_data_comes_from_and_invents_no_address(unpacked):
    readme = (unpacked / "README.md").read_text(encoding="utf-8")
    desc = json.loads((unpacked / "datapackage.json").read_text(encoding="utf-8"))
    assert "homepage" not in desc and "x-repository" not in desc  # the project has none yet
    where = readme[readme.index("## Where this comes from"):readme.index("## Contents")]
    assert f"hand-coded raw files of the dprk-relations project, version {desc['version']}" in where
    assert "`data/sources.csv`" in where and "no public address yet" in where
    assert not re.search(r"https?://", where + readme[readme.index("## How to cite"):readme.index("## How to load")])


def test_the_python_loader_in_the_zip_needs_only_pandas_and_pyarrow(unpacked, ours, tmp_path):
    out = tmp_path / "frames.pickle"
    code = f"""
import pickle, load
assert os.path.dirname(os.path.abspath(load.__file__)) == os.getcwd(), load.__file__
frames = {{prefer: load.load_dprk_relations(".", prefer=prefer) for prefer in ("parquet", "csv")}}
assert not any(m.split(".")[0] == "dprk_relations" for m in sys.modules if sys.modules[m] is not None)
with open({str(out)!r}, "wb") as fh:
    pickle.dump({{p: {{n: (df, df.attrs) for n, df in f.items()}} for p, f in frames.items()}}, fh)
"""
    res = run_plain_python(code, unpacked)
    assert res.returncode == 0, res.stderr[-3000:]
    frames = pickle.loads(out.read_bytes())
    for prefer, tables in frames.items():
        assert list(tables) == list(ours), prefer
        for name, (df, attrs) in tables.items():
            pd.testing.assert_frame_equal(df, ours[name], check_exact=True, obj=f"{prefer} {name}")
            assert attrs == ours[name].attrs, (prefer, name)


def test_the_python_loader_refuses_a_tampered_parquet_file(unpacked, tmp_path):
    copy = Path(shutil.copytree(unpacked, tmp_path / "r"))
    path = copy / "data" / "visits.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    res = run_plain_python("import load; load.load_dprk_relations('.')", copy)
    assert res.returncode != 0 and "data/visits.parquet: corrupted or tampered with" in res.stderr, res.stderr


def readme_python_blocks(readme: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", readme, flags=re.S)


# Runs README blocks in one namespace, as a reader pastes them; a block that ends in an
# expression (the DuckDB and polars lines) gives its value, as the REPL would show it.
RUN_BLOCKS = textwrap.dedent("""
    import ast, pickle

    def run_block(src, namespace):
        tree = ast.parse(src)
        if isinstance(tree.body[-1], ast.Expr):
            tree.body[-1] = ast.Assign(targets=[ast.Name("_", ast.Store())], value=tree.body[-1].value)
            ast.fix_missing_locations(tree)
        namespace.pop("_", None)
        exec(compile(tree, "<README.md>", "exec"), namespace)
        return namespace.pop("_") if "_" in namespace else namespace["visits"]

    namespace = {}
    results = [run_block(block, namespace) for block in BLOCKS]
    with open(OUT, "wb") as fh:
        pickle.dump(results, fh)
""")


def run_readme_blocks(blocks: list[str], cwd: Path, out: Path):
    res = run_plain_python(f"BLOCKS = {blocks!r}\nOUT = {str(out)!r}\n" + RUN_BLOCKS, cwd)
    assert res.returncode == 0, res.stderr[-3000:]
    return pickle.loads(out.read_bytes())


def test_the_readme_python_code_runs_in_the_unzipped_release(unpacked, ours, tmp_path):
    """Each block runs as written, in order, with only pandas, pyarrow and duckdb;
    every frame it gives holds the values dprk_relations.load() gives."""
    blocks = readme_python_blocks((unpacked / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) == 5, blocks
    assert blocks[-1].startswith("import polars as pl; pl.read_parquet(")  # run where polars is: below
    loader, parquet, csv, duck = run_readme_blocks(blocks[:-1], unpacked, tmp_path / "frames.pickle")
    want = ours["visits"]
    pd.testing.assert_frame_equal(loader, want, check_exact=True)
    for got, how in ((parquet, "read_parquet"), (csv, "read_csv"), (duck, "duckdb")):
        assert list(got.columns) == list(want.columns), how
        for col in want.columns:
            assert column_values(got[col]) == column_values(want[col]), (how, col)
    # What the README promises of plain pandas: nullable integers, dates and booleans, from both files.
    for got in (parquet, csv):
        assert str(got["source_count"].dtype) == "Int64"
        assert pd.api.types.is_datetime64_dtype(got["date_min"]) and got["date_min"].isna().any()
        assert str(got["first_visit"].dtype) == "boolean"


def test_the_readme_polars_line_runs(unpacked, ours, tmp_path):
    pytest.importorskip("polars", reason="polars is not installed here; the line is checked where it is")
    polars = readme_python_blocks((unpacked / "README.md").read_text(encoding="utf-8"))[-1]
    (frame,) = run_readme_blocks([polars], unpacked, tmp_path / "frame.pickle")
    assert frame.height == len(ours["visits"]) and frame.columns == list(ours["visits"].columns)


def test_the_r_loader_in_the_zip_gives_the_frames_of_dprk_relations_load(rscript, unpacked, ours, tmp_path):
    out = tmp_path / "summary.json"
    code = f"""
        source("load.R")
        rel <- load_dprk_relations(".")
        jsonlite::write_json(list(tables = dprk_relations_summary(rel)), {json.dumps(str(out))},
                             auto_unbox = TRUE, na = "null", null = "null", digits = NA)
    """
    res = subprocess.run([rscript, "-e", code], cwd=unpacked, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    tables = json.loads(out.read_text(encoding="utf-8"))["tables"]
    assert [t["name"] for t in tables] == list(ours)
    for table in tables:
        frame = ours[table["name"]]
        assert table["nrow"] == len(frame) and [c["name"] for c in table["columns"]] == list(frame.columns)
        for col in table["columns"]:
            where, series = f"{table['name']}.{col['name']}", frame[col["name"]]
            if isinstance(series.dtype, pd.CategoricalDtype):
                assert col["levels"] == list(series.cat.categories), where
                assert (col["class"] == "ordered factor") == series.cat.ordered, where
            got = [float(v) if col["class"] in ("integer", "numeric") and v is not None else v
                   for v in col["values"]]
            assert got == column_values(series), where


def test_frictionless_py_validates_both_descriptors(unpacked):
    exe = str(Path(sys.executable).with_name("frictionless"))
    desc = json.loads((unpacked / "datapackage.json").read_text(encoding="utf-8"))
    pq_desc = json.loads((unpacked / "datapackage-parquet.json").read_text(encoding="utf-8"))
    for name in ("datapackage.json", "datapackage-parquet.json"):
        out = subprocess.run([exe, "validate", "--json", name], cwd=unpacked, capture_output=True, text=True)
        report = json.loads(out.stdout)
        assert report["valid"], (name, out.stdout[:3000])
        assert report["stats"]["tasks"] == len(desc["resources"]), name
    # rOpenSci's frictionless reads every resource of datapackage.json: tables only.
    assert {r["profile"] for r in desc["resources"]} == {"tabular-data-resource"}
    assert [r["name"] for r in pq_desc["resources"]] == [r["name"] for r in desc["resources"]]
    assert all(r["path"] == f"data/{r['name']}.parquet" and r["format"] == "parquet" for r in pq_desc["resources"])
    assert pq_desc["version"] == desc["version"] and pq_desc["licenses"] == desc["licenses"]


def frictionless_r(rscript: str) -> None:
    ok = subprocess.run([rscript, "-e", 'quit(status = !requireNamespace("frictionless", quietly = TRUE))'],
                        capture_output=True, timeout=120)
    if ok.returncode != 0:
        pytest.skip("rOpenSci's frictionless R package is not installed (it is not in Debian: "
                    "install it from its source into a user library to run this test)")


def test_frictionless_r_reads_every_resource_of_the_release(rscript, unpacked, ours, tmp_path):
    frictionless_r(rscript)
    out = tmp_path / "fr.json"
    code = f"""
        library(frictionless)
        package <- read_package("datapackage.json")
        # resource_names() since frictionless 1.2.1.9000; resources() before.
        names_of <- if (exists("resource_names", asNamespace("frictionless"))) resource_names else resources
        out <- lapply(names_of(package), function(name) {{
          df <- read_resource(package, name)
          list(name = name, nrow = nrow(df), columns = lapply(names(df), function(col) {{
            x <- df[[col]]
            list(name = col, class = class(x)[1], levels = if (is.factor(x)) as.list(levels(x)))
          }}))
        }})
        jsonlite::write_json(out, {json.dumps(str(out))}, auto_unbox = TRUE, null = "null")
    """
    res = subprocess.run([rscript, "-e", code], cwd=unpacked, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    tables = json.loads(out.read_text(encoding="utf-8"))
    assert [t["name"] for t in tables] == list(ours)
    classes = set()
    for table in tables:
        frame = ours[table["name"]]
        assert table["nrow"] == len(frame), table["name"]
        for col in table["columns"]:
            series, where = frame[col["name"]], f"{table['name']}.{col['name']}"
            # What the README says of frictionless: integers as doubles, categories as unordered factors.
            if str(series.dtype) == "Int64":
                assert col["class"] == "numeric", where
            if isinstance(series.dtype, pd.CategoricalDtype):
                assert col["class"] == "factor" and col["levels"] == list(series.cat.categories), where
            if pd.api.types.is_datetime64_dtype(series):
                assert col["class"] == "Date", where
            classes.add(col["class"])
    assert {"numeric", "factor", "Date", "logical", "character"} <= classes


def _rehash(root: Path, descriptor: str, rel: str) -> None:
    import hashlib

    desc = json.loads((root / descriptor).read_text(encoding="utf-8"))
    data = (root / rel).read_bytes()
    for res in desc["resources"]:
        if res["path"] == rel:
            res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    (root / descriptor).write_text(json.dumps(desc, indent=2), encoding="utf-8")


def test_load_reads_the_parquet_files_that_datapackage_parquet_json_lists(built, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(shutil.copytree(built, tmp_path / "r"))
    rel = "data/visits.parquet"
    table = pq.read_table(root / rel)
    summary = table.column("summary").to_pylist()
    summary[0] = "read from the Parquet file"
    pq.write_table(table.set_column(table.schema.get_field_index("summary"), table.schema.field("summary"),
                                    pa.array(summary, type=pa.string())), root / rel)
    _rehash(root, "datapackage-parquet.json", rel)
    assert dprk_relations.load(root, "visits")["summary"].iloc[0] == "read from the Parquet file"
    assert dprk_relations.load(root, "visits", prefer="csv")["summary"].iloc[0] != "read from the Parquet file"


def test_load_refuses_a_parquet_file_its_descriptor_does_not_vouch_for(built, tmp_path):
    from dprk_relations.access.load import LoadError

    root = Path(shutil.copytree(built, tmp_path / "r"))
    path = root / "data" / "aid.parquet"
    path.write_bytes(path.read_bytes() + b"\0")
    # Whole or refused: even when the CSVs are what is read.
    with pytest.raises(LoadError, match=r"data/aid.parquet: \d+ bytes, the descriptor says"):
        dprk_relations.load(root, prefer="csv")


def _release(root: Path):
    return run_cli("release", "--package-dir", root, "--date", "2026-12-01")


def test_release_warns_while_homepage_and_repository_are_unset(pkg):
    out = _release(pkg.root)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "warning: datapackage.json has no homepage or x-repository" in out.stderr
    cff = (pkg.root / "build" / "1.0.0" / "CITATION.cff").read_text(encoding="utf-8")
    assert "url:" not in cff and "repository-code:" not in cff


def test_homepage_and_repository_reach_the_readme_and_citation(pkg):
    # Addresses for the test only: the project has none yet.
    home, repo = "https://example.org/dprk-relations", "https://example.org/dprk-relations/code"
    desc_path = pkg.root / "datapackage.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    desc["homepage"], desc["x-repository"] = home, repo
    desc_path.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out = _release(pkg.root)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "warning" not in out.stderr
    release = pkg.root / "build" / "1.0.0"
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert f"Project: <{home}>" in readme and f"Code and raw files: <{repo}>" in readme
    assert "no public address" not in readme
    cff = (release / "CITATION.cff").read_text(encoding="utf-8")
    assert f'url: "{home}"' in cff and f'repository-code: "{repo}"' in cff
    for name in ("datapackage.json", "datapackage-parquet.json"):
        d = json.loads((release / name).read_text(encoding="utf-8"))
        assert (d["homepage"], d["x-repository"]) == (home, repo), name

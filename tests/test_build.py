"""`build`: deterministic, atomic, never overwrites a published release."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

from conftest import run_cli
from dprk_relations.stages.build import build, same_tree
from dprk_relations.stages.rebuild import raw_from_release


def tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_builds_in_different_directories_are_byte_identical(pkg, tmp_path, release):
    import shutil

    other = tmp_path / "elsewhere" / "deeper"
    shutil.copytree(pkg.root, other)
    b = build(other)  # the session's release was built from another copy, in another directory
    assert b.status == "built"
    ta, tb = tree(release), tree(b.path)
    assert ta == tb and len(ta) > 20
    leaks = [str(release.parent.parent).encode(), str(other).encode(), str(Path.home()).encode(),
             time.strftime("%Y-%m-%dT%H").encode()]
    for rel, data in tb.items():  # no absolute path, home directory or clock leaks into a file
        for leak in leaks:
            assert leak not in data, (rel, leak)


def test_zip_entries_have_fixed_times_and_order(release):
    version = json.loads((release / "datapackage.json").read_text())["version"]
    with zipfile.ZipFile(release / f"dprk-relations-{version}.zip") as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        assert f"dprk-relations-{version}/datapackage.json" in names
        assert f"dprk-relations-{version}/SHA256SUMS" in names


def _published(pkg, release) -> Path:
    """The sample's release, as a build of this copy leaves it (test_two_builds: the same bytes)."""
    import shutil

    return Path(shutil.copytree(release, pkg.root / "build" / release.name))


def test_rebuild_reports_reproduced(pkg, release):
    first = _published(pkg, release)
    out = run_cli("build", pkg.root)
    assert out.returncode == 0
    assert f"reproduced {first.name} exactly" in out.stdout


def test_a_release_rebuilds_from_its_own_raw_data(release, tmp_path):
    raw = raw_from_release(release, tmp_path / "recovered")
    again = build(raw, out=tmp_path / "rebuilt")
    assert again.status == "built"
    assert same_tree(release, again.path)


def test_invalid_data_stops_the_build_and_writes_nothing(pkg):
    line = pkg.find("raw/aid.csv", "aid_id", "1960-soviet-debt-forgiveness-900m-rubles")
    pkg.set_cell("raw/aid.csv", line, "amount", "-1")
    out = run_cli("build", pkg.root)
    assert out.returncode == 1
    assert "raw/aid.csv" in out.stdout and "build stopped: nothing was written" in out.stderr
    assert not (pkg.root / "build").exists() or not any((pkg.root / "build").iterdir())


def test_changed_raw_data_never_touches_the_published_release(pkg, release):
    published = _published(pkg, release)
    before = tree(published)
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    pkg.set_cell("raw/visits.csv", line, "location", "Seoul, South Korea")
    out = run_cli("build", pkg.root)
    assert out.returncode == 0
    assert tree(published) == before
    assert "visits ~1" in out.stdout and "dprk-relations release" in out.stdout
    preview = pkg.root / "build" / "unreleased"
    assert b"Seoul, South Korea" in (preview / "data" / "visits.csv").read_bytes()


def test_release_is_a_valid_data_package_for_frictionless(release):
    exe = str(Path(sys.executable).with_name("frictionless"))
    out = subprocess.run([exe, "validate", "--json", "datapackage.json"], cwd=release,
                         capture_output=True, text=True)
    report = json.loads(out.stdout)
    assert report["valid"], out.stdout[:3000]
    desc = json.loads((release / "datapackage.json").read_text())
    for res in desc["resources"]:
        assert res["hash"].startswith("sha256:") and res["bytes"] > 0
        if res["format"] == "csv":
            assert res["profile"] == "tabular-data-resource" and res["type"] == "table"
            assert isinstance(res["schema"], dict)
            for f in res["schema"]["fields"]:
                assert f.get("description"), (res["name"], f["name"])


def test_parquet_and_csv_hold_the_same_values(release):
    import pandas as pd

    desc = json.loads((release / "datapackage.json").read_text())
    for res in desc["resources"]:
        if res["format"] != "csv":
            continue
        name = res["name"]
        csv_frame = pd.read_csv(release / res["path"], dtype=str, keep_default_na=False)
        table = pq.read_table(release / f"data/{name}.parquet")
        assert table.column_names == list(csv_frame.columns)
        types = {f["name"]: f.get("type", "string") for f in res["schema"]["fields"]}
        lists = {f["name"]: f["x-separator"] for f in res["schema"]["fields"] if f.get("x-separator")}
        for col in table.column_names:
            got = table.column(col).to_pylist()
            want = csv_frame[col].tolist()
            for g, w in zip(got, want):
                if g is None:
                    assert w == "", (name, col)
                elif types[col] == "date":
                    assert g.isoformat() == w
                elif types[col] == "boolean":
                    assert ("true" if g else "false") == w
                elif types[col] in ("integer", "number"):
                    assert float(g) == float(w)
                elif col in lists:  # a list in Parquet, its items joined by the separator in CSV
                    assert isinstance(g, list) and lists[col].join(g) == w, (name, col)
                else:
                    assert g == w, (name, col)


def test_parquet_has_real_types_and_descriptions(release):
    import pyarrow as pa

    schema = pq.read_schema(release / "data/visits.parquet")
    assert schema.field("date_min").type == pa.date32()
    assert pa.types.is_dictionary(schema.field("visit_type").type)
    assert schema.field("confidence").type.ordered
    assert schema.field("first_visit").type == pa.bool_()
    assert schema.field("source_count").type == pa.int64()
    assert schema.field("visit_id").metadata[b"description"]
    meta = pq.ParquetFile(release / "data/visits.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    aid = pq.read_schema(release / "data/aid.parquet")
    assert aid.field("amount").type == pa.float64() and aid.field("year_start").type == pa.int64()


def _state(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".tmp-" not in p.as_posix() and not p.name == ".lock"}


def test_a_killed_build_leaves_the_previous_state_intact(pkg, tmp_path):
    """Builds killed at eight moments spread over the time a build takes (test_faults kills at each
    named stage; this kills wherever the clock falls). Each is forked from this process, which has
    built once, so that every moment falls in the build and none in an interpreter's start."""
    from fault_child import Forked

    start = time.monotonic()
    published = build(pkg.root)
    took = time.monotonic() - start
    line = pkg.find("raw/events.csv", "event_id", "1960-china-famine")
    pkg.set_cell("raw/events.csv", line, "confidence", "medium")
    before = _state(pkg.root)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for i in range(8):
        proc = Forked("none", tmp_path / "marker", ["build", str(pkg.root)], tmp_path / "output", tmp_path, env)
        time.sleep(took * (i + 0.5) / 8)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = _state(pkg.root)
        # The published release and the raw data are never touched; an unreleased
        # preview is either absent or complete.
        assert {k: v for k, v in after.items() if not k.startswith("build/unreleased/")} == before
        preview = pkg.root / "build" / "unreleased"
        if preview.exists():
            assert (preview / "SHA256SUMS").is_file() and run_cli("verify", preview).returncode == 0
        releases = [p.name for p in (pkg.root / "build").iterdir() if not p.name.startswith(".")]
        assert set(releases) <= {published.version, "unreleased"}
    # and the next build cleans up whatever a kill left behind
    assert build(pkg.root).status == "unreleased"
    assert not list((pkg.root / "build").glob(".tmp-*"))


def test_a_second_build_at_once_is_refused_clearly(pkg):
    from dprk_relations.stages.build import BuildLocked, build_lock

    with build_lock(pkg.root / "build"):
        out = run_cli("build", pkg.root)
        assert out.returncode == 1
        assert "another build is running" in out.stderr
        try:
            build(pkg.root)
            raise AssertionError("a second build got the lock")
        except BuildLocked:
            pass


def test_a_build_waits_for_frictionless_and_writes_nothing_it_refuses(pkg, tmp_path, monkeypatch):
    """Only frictionless, in its second process, checks datapackage.json against the Data Package
    specification: the build makes its release in memory meanwhile, and must drop it."""
    monkeypatch.setenv("DPRK_RELATIONS_PROCESSES", "2")
    desc = json.loads(pkg.path("datapackage.json").read_text(encoding="utf-8"))
    desc["licenses"] = [{"title": "a license with neither name nor path"}]
    pkg.path("datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    out = run_cli("build", pkg.root, "--out", tmp_path / "out")
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    assert 'license requires "path" or "name"' in out.stdout + out.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

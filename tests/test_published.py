"""Every published release in build/ is intact, valid, and rebuilds from its own
raw data to the same bytes, with the code and lock file of today."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from dprk_relations.stages.build import build, same_tree
from dprk_relations.stages.release import published_versions
from dprk_relations.stages.rebuild import raw_from_release
from dprk_relations.stages.verify import verify

VERSIONS = published_versions(REPO / "build")


def test_every_published_release_is_the_archive_the_registry_promises():
    """A download is checked against the registry; the archives in build/ must pass that check."""
    import hashlib

    registry = json.loads((REPO / "datapackage" / "registry.json").read_text(encoding="utf-8"))["versions"]
    assert VERSIONS and sorted(registry) == sorted(VERSIONS)
    for version, entry in registry.items():
        data = (REPO / "build" / version / entry["archive"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"]), version


@pytest.mark.parametrize("version", VERSIONS)
def test_published_release_verifies(version):
    result = verify(REPO / "build" / version)
    assert result.ok, result.to_text()


# Releases built by earlier code. Today's code builds them with additions that the published files,
# which never change, lack: columns derived beside the raw ones (a <date>_form column beside every
# EDTF date, from 2.0.0; more from 2.1.0), a table of visits by dyad and decade in the codebook, the
# changelog entry on the page, the timeline's legend naming one-of-a-set ranges, and a release
# README that names the import dprk_relations (the package was renamed from datapackage, whose
# name another library installs over). Those files differ and nothing else: every published
# column is rebuilt with the same values.
BUILT_BY_EARLIER_CODE = {"1.0.0", "1.1.0", "2.0.0"}
ADDITIONS = {"SHA256SUMS", "codebook.md", "datapackage.json", "index.html", "timeline.png", "timeline.svg",
             "README.md"}
# Files a release carries since 2.1.0: the loaders, and the descriptor of the Parquet files.
NEW_FILES = {"load.R", "load.py", "datapackage-parquet.json"}
# Derived columns whose definition changed in 2.1.0 (the changelog lists every value): the precision of a
# date now describes its whole span, not the unit of its ends.
REDEFINED = "_precision"


def _csv(path):
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("version", VERSIONS)
def test_published_release_rebuilds_from_its_own_raw_data(version, tmp_path):
    raw = raw_from_release(REPO / "build" / version, tmp_path / "raw")
    rebuilt = build(raw, out=tmp_path / "out")
    assert rebuilt.ok, rebuilt.report.to_text()
    if version not in BUILT_BY_EARLIER_CODE:
        assert same_tree(REPO / "build" / version, rebuilt.path), f"build/{version} no longer reproduces"
        return
    published = REPO / "build" / version
    files = {p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file()}
    assert files | NEW_FILES == {p.relative_to(rebuilt.path).as_posix() for p in rebuilt.path.rglob("*") if p.is_file()}
    for rel in sorted(files):
        old, new = (published / rel).read_bytes(), (rebuilt.path / rel).read_bytes()
        if old == new or rel in ADDITIONS or rel == f"dprk-relations-{version}.zip":
            continue
        if rel.endswith(".parquet"):
            import pyarrow.parquet as pq

            before, after = pq.read_table(published / rel), pq.read_table(rebuilt.path / rel)
            kept = [n for n in before.column_names if not n.endswith(REDEFINED)]
            assert after.select(kept).equals(before.select(kept)), f"{rel}: a published value changed"
            continue
        assert rel.startswith("data/") and rel.endswith(".csv"), f"{rel} differs"
        before, after = _csv(published / rel), _csv(rebuilt.path / rel)
        names = [n for n in before[0] if not n.endswith(REDEFINED)]
        old_cols, new_cols = [before[0].index(n) for n in names], [after[0].index(n) for n in names]
        assert [[row[i] for i in new_cols] for row in after] == [[row[i] for i in old_cols] for row in before], \
            f"{rel}: a published value changed"


@pytest.mark.parametrize("version", VERSIONS)
def test_frictionless_validates_the_published_release(version):
    exe = str(Path(sys.executable).with_name("frictionless"))
    out = subprocess.run([exe, "validate", "--json", "datapackage.json"], cwd=REPO / "build" / version,
                         capture_output=True, text=True)
    assert json.loads(out.stdout)["valid"], out.stdout[:2000]


def test_the_latest_release_matches_the_descriptor_version():
    desc = json.loads((REPO / "datapackage.json").read_text())
    assert VERSIONS[-1] == desc["version"]

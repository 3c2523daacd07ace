"""Every published release in build/ is intact, valid, and rebuilds from its own
raw data to the same bytes, with the code and lock file of today."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from datapackage.builder import build, same_tree
from datapackage.publish import published_versions
from datapackage.rebuild import raw_from_release
from datapackage.verifier import verify

VERSIONS = published_versions(REPO / "build")


def test_at_least_one_release_is_published():
    assert "1.0.0" in VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_published_release_verifies(version):
    result = verify(REPO / "build" / version)
    assert result.ok, result.to_text()


@pytest.mark.parametrize("version", VERSIONS)
def test_published_release_rebuilds_byte_for_byte(version, tmp_path):
    raw = raw_from_release(REPO / "build" / version, tmp_path / "raw")
    rebuilt = build(raw, out=tmp_path / "out")
    assert rebuilt.ok, rebuilt.report.to_text()
    assert same_tree(REPO / "build" / version, rebuilt.path), f"build/{version} no longer reproduces"


@pytest.mark.parametrize("version", VERSIONS)
def test_frictionless_validates_the_published_release(version):
    exe = str(Path(sys.executable).with_name("frictionless"))
    out = subprocess.run([exe, "validate", "--json", "datapackage.json"], cwd=REPO / "build" / version,
                         capture_output=True, text=True)
    assert json.loads(out.stdout)["valid"], out.stdout[:2000]


def test_the_latest_release_matches_the_descriptor_version():
    desc = json.loads((REPO / "datapackage.json").read_text())
    assert VERSIONS[-1] == desc["version"]

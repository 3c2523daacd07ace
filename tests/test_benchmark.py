"""The benchmark's census-size package is the real data copied with suffixed keys:
it must be valid under the real schemas, or the benchmark measures failing commands."""

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
import benchmark  # noqa: E402

from dprk_relations import validate  # noqa: E402


def test_the_census_size_package_is_valid_and_as_large_as_asked(tmp_path, source_dirs):
    real = validate(REPO, sources=source_dirs, engine="pandera").stats["rows"]
    rows = benchmark.census_package(tmp_path, rows=real + 1)  # two copies
    assert rows == 2 * real
    report = validate(tmp_path, sources=source_dirs, engine="pandera", strict=True)
    assert report.valid, report.to_text()[:3000]
    assert report.stats["rows"] == rows
    assert report.stats["evidence_checked"] == 2 * validate(REPO, sources=source_dirs).stats["evidence_checked"] > 0

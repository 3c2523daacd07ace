"""The release archive depends on nothing but its files: the published archives
come out again byte for byte from their own files, and any files, non-ASCII
names included, come back out of the checked extractor unchanged."""

import random
from pathlib import Path

import pytest

from dprk_relations.access.archive import extract
from dprk_relations.documents import files as rf


def _release_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".zip"}


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0", "2.0.0"])
def test_the_published_archives_are_written_again_byte_for_byte(repo, version):
    root = repo / "build" / version
    published = (root / f"dprk-relations-{version}.zip").read_bytes()
    assert rf.zip_bytes(_release_files(root), f"dprk-relations-{version}") == published


def test_any_files_come_back_out_unchanged_and_the_same_files_give_the_same_bytes(tmp_path):
    rng = random.Random(7)
    files = {
        "data/small.parquet": rng.randbytes(1000),
        "empty.md": b"",
        "notes/\u00e9t\u00e9.md": "Pyongyang \u5e73\u58e4".encode(),  # a name that is not ASCII
        "README.md": b"# readme\n" * 100,
    }
    archive = rf.zip_bytes(files, "top")
    assert rf.zip_bytes(dict(reversed(list(files.items()))), "top") == archive  # order of the dict: no matter
    (tmp_path / "a.zip").write_bytes(archive)
    extract(tmp_path / "a.zip", tmp_path / "out")
    for path, data in files.items():
        assert (tmp_path / "out" / "top" / path).read_bytes() == data

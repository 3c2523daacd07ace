"""The release archive is written by hand (so that entries can be compressed in
threads, ahead): it must be, byte for byte, the archive Python's zipfile writes
for the same entries, which the published releases were made with."""

import io
import random
import zipfile
from pathlib import Path

import pytest

from dprk_relations.documents import files as rf
from dprk_relations.access.archive import extract


def _zipfile_archive(files: dict[str, bytes], top: str) -> bytes:
    """The archive as zipfile writes it, with the entry rules the releases document."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(files):
            data = files[path]
            info = zipfile.ZipInfo(f"{top}/{path}", date_time=rf.ZIP_TIME)
            info.compress_type, level = zipfile.ZIP_DEFLATED, 9
            if len(data) > rf.LARGE_ENTRY_BYTES:
                if path.endswith(".parquet"):
                    info.compress_type = zipfile.ZIP_STORED
                level = 1
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            zf.writestr(info, data, compress_type=info.compress_type, compresslevel=level)
    return buf.getvalue()


def _release_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".zip"}


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_the_published_archives_are_written_again_byte_for_byte(repo, version):
    root = repo / "build" / version
    published = (root / f"dprk-relations-{version}.zip").read_bytes()
    files = _release_files(root)
    top = f"dprk-relations-{version}"
    assert rf.zip_bytes(files, top) == published
    assert _zipfile_archive(files, top) == published  # and the reference agrees with what was published


def test_any_entries_give_zipfiles_bytes_and_entries_made_ahead_change_nothing(tmp_path):
    rng = random.Random(7)
    words = [bytes(rng.choice(b"abcdefghij,\n\"") for _ in range(rng.randrange(1, 12))) for _ in range(500)]
    big_text = b" ".join(rng.choice(words) for _ in range(rf.LARGE_ENTRY_BYTES // 5))
    assert len(big_text) > rf.LARGE_ENTRY_BYTES
    files = {
        "data/big.csv": big_text,  # deflated at level 1
        "data/big.parquet": rng.randbytes(rf.LARGE_ENTRY_BYTES + 1),  # stored
        "data/small.parquet": rng.randbytes(1000),
        "empty.md": b"",
        "notes/\u00e9t\u00e9.md": "Pyongyang \u5e73\u58e4".encode(),  # a name that is not ASCII
        "README.md": b"# readme\n" * 100,
    }
    expected = _zipfile_archive(files, "top")
    assert rf.zip_bytes(files, "top") == expected
    ahead = {path: rf.zip_entry(path, data) for path, data in files.items() if path.startswith("data/")}
    assert ahead["data/big.parquet"][0] == zipfile.ZIP_STORED
    assert rf.zip_bytes(files, "top", ahead) == expected
    # And it opens: the checked extractor gives back every file.
    (tmp_path / "a.zip").write_bytes(expected)
    extract(tmp_path / "a.zip", tmp_path / "out")
    for path, data in files.items():
        assert (tmp_path / "out" / "top" / path).read_bytes() == data

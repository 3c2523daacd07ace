"""Unpack a release zip that came from somewhere else, trusting nothing in it.

Refused: absolute paths, ``..``, backslashes and drive letters, links and
other special files, duplicate names, too many entries, entries or totals
over the size limits (declared or actual: a zip bomb lies in its header),
compression ratios no release has, and truncated or corrupt archives. Files
are only ever written below the destination directory given.
"""

from __future__ import annotations

import stat
import zipfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

MAX_ENTRIES = 1000
# A release is about 1 MB; these leave room for a dataset a thousand times larger.
MAX_ENTRY_BYTES = 512 * 1024**2
MAX_TOTAL_BYTES = 1024**3
MAX_RATIO = 200  # uncompressed / compressed; CSV compresses ~10x, Parquet not at all
MAX_NAME_BYTES = 1024


class UnsafeArchive(Exception):
    """The archive is refused; the message names the entry and the reason."""


def _check_name(name: str) -> PurePosixPath:
    if not name or "\\" in name or "\x00" in name:
        raise UnsafeArchive(f"entry {name!r}: invalid characters in the name")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"entry {name!r}: absolute path")
    if ".." in path.parts:
        raise UnsafeArchive(f"entry {name!r}: path goes up with '..'")
    if not path.parts:
        raise UnsafeArchive(f"entry {name!r}: an empty name")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES or any(
            len(p.encode("utf-8", "surrogateescape")) > 255 for p in path.parts):
        raise UnsafeArchive(f"entry {name[:60]!r}...: the name is too long")
    return path


def check_entries(zf: zipfile.ZipFile, limits=None) -> list[zipfile.ZipInfo]:
    """Every entry, after the checks that need no decompression."""
    max_entries, max_entry, max_total = limits or (MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_TOTAL_BYTES)
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise UnsafeArchive(f"{len(infos)} entries; a release has far fewer (limit {max_entries})")
    seen, files, dirs, total = set(), set(), set(), 0
    for info in infos:
        key = _check_name(info.filename).parts
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode) or (mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
            raise UnsafeArchive(f"entry {info.filename!r}: a link or special file")
        if key in seen:
            raise UnsafeArchive(f"entry {info.filename!r} appears twice")
        seen.add(key)
        (dirs if info.is_dir() else files).add(key)
        dirs.update(key[:i] for i in range(1, len(key)))
        if info.file_size > max_entry:
            raise UnsafeArchive(f"entry {info.filename!r} declares {info.file_size} bytes (limit {max_entry})")
        if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeArchive(f"entry {info.filename!r} would expand "
                                f"{info.file_size // max(info.compress_size, 1)} times: a zip bomb?")
        total += info.file_size
        if total > max_total:
            raise UnsafeArchive(f"entries declare more than {max_total} bytes in all")
    both = files & dirs
    if both:
        raise UnsafeArchive(f"entry {'/'.join(min(both))!r} is both a file and a directory")
    return infos


@contextmanager
def _reading(what: str):
    """Whatever the zip reader raises means the archive is unreadable: say so.

    Only reading the archive is wrapped; an error writing the destination (a
    full disk) is an OSError for the caller, not a verdict on the archive."""
    try:
        yield
    except UnsafeArchive:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib, bz2 and lzma raise a dozen kinds
        raise UnsafeArchive(f"{what}: the archive cannot be read (truncated or corrupt): "
                            f"{type(exc).__name__}: {exc}") from None


def extract(zip_path: Path, dest: Path, limits=None) -> None:
    """Extract every entry below ``dest``, counting the bytes as they come."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    max_entry = (limits or (MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_TOTAL_BYTES))[1]
    with _reading("not a readable zip archive"):
        zf = zipfile.ZipFile(zip_path)
    with zf:
        for info in check_entries(zf, limits):
            target = (dest / info.filename).resolve()
            if target != root and root not in target.parents:
                raise UnsafeArchive(f"entry {info.filename!r} would land outside the destination")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with _reading(f"entry {info.filename!r}"):
                src = zf.open(info)
            with src, open(target, "wb") as out:
                while True:
                    with _reading(f"entry {info.filename!r}"):
                        chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > info.file_size or written > max_entry:
                        raise UnsafeArchive(f"entry {info.filename!r} holds more bytes than it declares")
                    out.write(chunk)


def extract_release(zip_path: Path, dest: Path, limits=None) -> Path:
    """Extract a release zip; return the directory holding its datapackage.json."""
    extract(zip_path, dest, limits)
    found = sorted(p.parent for p in Path(dest).rglob("datapackage.json"))
    if not found:
        raise UnsafeArchive("the archive holds no datapackage.json")
    return min(found, key=lambda p: len(p.parts))

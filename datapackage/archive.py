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
from pathlib import Path, PurePosixPath

MAX_ENTRIES = 1000
MAX_ENTRY_BYTES = 2 * 1024**3  # 2 GiB
MAX_TOTAL_BYTES = 8 * 1024**3
MAX_RATIO = 200  # uncompressed / compressed; CSV compresses ~10x


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
    return path


def check_entries(zf: zipfile.ZipFile, limits=None) -> list[zipfile.ZipInfo]:
    """Every entry, after the checks that need no decompression."""
    max_entries, max_entry, max_total = limits or (MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_TOTAL_BYTES)
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise UnsafeArchive(f"{len(infos)} entries; a release has far fewer (limit {max_entries})")
    seen, total = set(), 0
    for info in infos:
        _check_name(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode) or (mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
            raise UnsafeArchive(f"entry {info.filename!r}: a link or special file")
        key = info.filename.rstrip("/")
        if key in seen:
            raise UnsafeArchive(f"entry {info.filename!r} appears twice")
        seen.add(key)
        if info.file_size > max_entry:
            raise UnsafeArchive(f"entry {info.filename!r} declares {info.file_size} bytes (limit {max_entry})")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20:
            raise UnsafeArchive(f"entry {info.filename!r} would expand {info.file_size // info.compress_size}"
                                f" times: a zip bomb?")
        total += info.file_size
        if total > max_total:
            raise UnsafeArchive(f"entries declare more than {max_total} bytes in all")
    return infos


def extract(zip_path: Path, dest: Path, limits=None) -> None:
    """Extract every entry below ``dest``, counting the bytes as they come."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    max_entry = (limits or (MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_TOTAL_BYTES))[1]
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for info in check_entries(zf, limits):
                target = (dest / info.filename).resolve()
                if target != root and root not in target.parents:
                    raise UnsafeArchive(f"entry {info.filename!r} would land outside the destination")
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > info.file_size or written > max_entry:
                            raise UnsafeArchive(f"entry {info.filename!r} holds more bytes than it declares")
                        out.write(chunk)
    except zipfile.BadZipFile as exc:
        raise UnsafeArchive(f"not a readable zip archive (truncated or corrupt): {exc}") from None
    except (EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, EOFError) and exc.errno is not None:
            raise
        raise UnsafeArchive(f"the archive cannot be read (truncated or corrupt): {exc}") from None


def extract_release(zip_path: Path, dest: Path, limits=None) -> Path:
    """Extract a release zip; return the directory holding its datapackage.json."""
    extract(zip_path, dest, limits)
    found = sorted(p.parent for p in Path(dest).rglob("datapackage.json"))
    if not found:
        raise UnsafeArchive("the archive holds no datapackage.json")
    return min(found, key=lambda p: len(p.parts))

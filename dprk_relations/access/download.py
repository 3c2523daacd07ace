"""Download a published release: fetched once, verified always.

``fetch("1.0.0")`` looks the version up in the registry (``latest``: the
newest there), lets pooch fetch its archive into a per-user cache and check
the archive's sha256 against the registry, checks its size too, and unpacks
it with the untrusted-archive rules of :mod:`dprk_relations.access.archive`.

Cache (``DPRK_RELATIONS_CACHE``, default ``pooch.os_cache("dprk-relations")``,
e.g. ``~/.cache/dprk-relations``)::

    dprk-relations-1.0.0.zip              the archive, exactly as published
    dprk-relations-1.0.0-8d61e34111a94f5a/ the release unpacked from it

Nothing that failed a check is ever kept:

- pooch downloads into a temporary file beside the archive and renames it
  only when the sha256 matches; a wrong hash, a refused connection, an HTTP
  error or a transfer cut short remove the temporary file. The downloader
  here also stops a transfer the moment it exceeds the registry's size, and
  refuses one that ends short of it (a server that closes early without
  saying how long the body was).
- The release is unpacked into a temporary directory beside its place and
  renamed into place when complete.
- A cached archive is hashed against the registry on every use: a good copy
  is used without any network access (nor any download location), a damaged
  one is deleted and fetched again. The unpacked
  release is compared file by file (sha256) with that verified archive on
  every use, and unpacked again if anything differs, so each file traces back
  to the registry's hash. The schemas are not re-validated here: the archive
  is byte for byte the one that was published and verified when it was
  built; `dprk-relations verify` does the full check on demand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from dprk_relations.access import registry as reg_mod

CACHE_ENV = "DPRK_RELATIONS_CACHE"
TMP_PREFIX = ".dprk-relations-tmp-"
STALE_SECONDS = 24 * 3600  # temporaries older than this were left by a killed process


class _WrongSize(ValueError):
    """The transfer gave other than the registry's number of bytes (a ValueError,
    so that pooch treats it like a wrong hash: the temporary file is removed)."""

    def __init__(self, got: int, expected: int, more: bool = False):
        self.got, self.expected, self.more = got, expected, more
        super().__init__(f"{'more than ' if more else ''}{got} bytes, expected {expected}")


class _Capped:
    """The download's file: refuses to grow past the archive's published size,
    and moves the progress bar by what actually arrives."""

    def __init__(self, fh, limit: int, bar=None):
        self.fh, self.limit, self.bar, self.written = fh, limit, bar, 0

    def write(self, chunk: bytes) -> int:
        self.written += len(chunk)
        if self.written > self.limit:
            raise _WrongSize(self.limit, self.limit, more=True)
        if self.bar is not None:
            self.bar.update(len(chunk))
        return self.fh.write(chunk)

    def flush(self) -> None:
        self.fh.flush()


class _SizeChecked:
    """Pooch's downloader for the URL, checking that the body has exactly ``size``
    bytes, with a progress bar on stderr (its total from the registry, so it is
    right even when the server does not say the length), closed however it ends."""

    def __init__(self, size: int, progress: bool):
        self.size, self.progress = size, progress

    def __call__(self, url, output_file, pooch, check_only=False):
        import requests
        from pooch.downloaders import choose_downloader

        inner = choose_downloader(url, progressbar=False)
        if check_only:
            return inner(url, output_file, pooch, check_only=True)
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=self.size, ncols=79, unit="B", unit_scale=True, leave=True, file=sys.stderr)
        try:
            with open(output_file, "w+b") as fh:
                capped = _Capped(fh, self.size, bar)
                try:
                    inner(url, capped, pooch)
                except requests.exceptions.RequestException:
                    if capped.written:  # the connection broke after the body began
                        raise _WrongSize(capped.written, self.size) from None
                    raise
        finally:
            if bar is not None:
                bar.close()
        if capped.written != self.size:
            raise _WrongSize(capped.written, self.size)
        return None


def cache_dir() -> Path:
    """The per-user cache: $DPRK_RELATIONS_CACHE, else the platform's cache directory."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("dprk-relations")).expanduser()


def _error(message: str):
    from dprk_relations.access.errors import LoadError

    return LoadError(message)


def _sha256(path: Path) -> str:
    from dprk_relations.documents.files import sha256_file

    return sha256_file(path)


def _sweep(cache: Path) -> None:
    """Remove the temporary directories that a killed unpacking left behind:
    only ours (by their prefix), and only old ones (another process may be
    using a new one). The cache may be a directory shared with other files.
    (pooch's own temporary download files are removed by pooch, except when
    the process is killed outright; their names are not distinctive enough to
    sweep safely.)"""
    now = time.time()
    for p in cache.glob(TMP_PREFIX + "*"):
        try:
            if p.is_dir() and not p.is_symlink() and now - p.lstat().st_mtime > STALE_SECONDS:
                shutil.rmtree(p)
        except OSError:
            pass


def _describe(exc: BaseException) -> str:
    """A network failure in a few words."""
    import requests

    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"the server answered HTTP {exc.response.status_code} {exc.response.reason or ''}".rstrip()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "the connection timed out"
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
            exc, requests.exceptions.ChunkedEncodingError):
        text = str(exc)
        for known in ("Connection refused", "Name or service not known", "Temporary failure in name resolution",
                      "Network is unreachable", "No route to host", "nodename nor servname"):
            if known in text:
                return known[0].lower() + known[1:]
        if "IncompleteRead" in text or "Connection broken" in text:
            return "the transfer was cut short"
        return "the connection failed"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "the transfer was cut short"
    if isinstance(exc, requests.exceptions.Timeout):
        return "the server stopped answering (timed out)"
    return f"{type(exc).__name__}: {exc}"


def _cached_archive(entry: dict, cache: Path) -> Path | None:
    """The archive in the cache if its size and sha256 are the registry's; a
    damaged copy is deleted (worthless, and never to be left for a later run)."""
    archive = cache / entry["archive"]
    if archive.is_symlink() or (archive.exists() and not archive.is_file()):
        raise _error(f"{archive} is not a file; remove it")
    if not archive.is_file():
        return None
    if archive.stat().st_size == entry["bytes"] and _sha256(archive) == entry["sha256"]:
        return archive
    archive.unlink()
    return None


def _retrieve(version: str, entry: dict, url: str, cache: Path, progress: bool) -> Path:
    """Download the archive into the cache with pooch, which keeps it only if
    its sha256 is the registry's; the downloader checks the size."""
    import pooch
    import requests

    logger = pooch.get_logger()
    level = logger.level
    if not progress:
        logger.setLevel("WARNING")
    try:
        path = pooch.retrieve(url, known_hash=f"sha256:{entry['sha256']}", fname=entry["archive"], path=cache,
                              downloader=_SizeChecked(entry["bytes"], progress))
    except _WrongSize as exc:
        what = (f"the server sent more than the {exc.expected} bytes the registry lists" if exc.more else
                f"the transfer was cut short: {exc.got} of {exc.expected} bytes (check your network, "
                f"or try again)" if exc.got < exc.expected else
                f"the file has {exc.got} bytes, the registry lists {exc.expected}")
        raise _error(f"could not download {version} from {url}: {what}; nothing was kept") from None
    except requests.exceptions.RequestException as exc:
        raise _error(f"could not download {version} from {url}: {_describe(exc)}; check your network or "
                     f"{reg_mod.BASE_URL_ENV}") from None
    except ValueError as exc:
        if "does not match the known hash" in str(exc):
            raise _error(f"refused {version} from {url}: its sha256 is not the one in the registry "
                         f"({entry['sha256']}): the file is corrupted or has been tampered with; "
                         f"nothing was kept") from None
        raise _error(f"could not download {version} from {url}: {exc}") from None
    except OSError as exc:
        raise _error(f"cannot write the download cache {cache}: {exc.strerror or exc} "
                     f"(set {CACHE_ENV} to another directory)") from None
    finally:
        logger.setLevel(level)
    return Path(path)


def _zip_files(archive: Path) -> tuple[str, dict[str, str]]:
    """The release folder's name in the zip and the sha256 of each file in it."""
    with zipfile.ZipFile(archive) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        descs = sorted((n for n in names if n.rsplit("/", 1)[-1] == "datapackage.json"), key=lambda n: n.count("/"))
        prefix = descs[0][: -len("datapackage.json")] if descs else ""
        return prefix.rstrip("/"), {n[len(prefix):]: hashlib.sha256(zf.read(n)).hexdigest()
                                    for n in names if n.startswith(prefix)}


def _same_as_archive(folder: Path, archive: Path) -> bool:
    """Every file of the unpacked release, and no other, as the verified archive holds it."""
    try:
        _, expected = _zip_files(archive)
        found = {}
        for p in folder.rglob("*"):
            if p.is_symlink():
                return False
            if p.is_file():
                found[p.relative_to(folder).as_posix()] = _sha256(p)
        return found == expected
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _unpack(archive: Path, parent: Path, name: str) -> Path:
    """Unpack the archive's release folder into parent/<name>,
    through a temporary directory beside it, so nothing half written is ever there."""
    from dprk_relations.access.archive import UnsafeArchive, extract_release

    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=parent))
    try:
        try:
            inner = extract_release(archive, tmp)
        except UnsafeArchive as exc:
            raise _error(f"{archive.name}: refused: {exc}") from None
        target = parent / name
        try:
            os.rename(inner, target)
        except OSError:
            if not (target.is_dir() and _same_as_archive(target, archive)):  # another process was first
                raise
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cached_release(archive: Path, entry: dict, cache: Path) -> Path:
    name = f"{archive.name.removesuffix('.zip')}-{entry['sha256'][:16]}"
    target = cache / name
    if target.exists():
        if target.is_dir() and not target.is_symlink() and _same_as_archive(target, archive):
            return target
        # Changed since it was unpacked: unpack it again from the verified archive.
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    return _unpack(archive, cache, name)


def _copy_to(archive: Path, dest: Path) -> Path:
    folder, _ = _zip_files(archive)
    target = dest / (folder or archive.name.removesuffix(".zip"))
    if target.exists():
        if target.is_dir() and _same_as_archive(target, archive):
            return target
        raise _error(f"{target} already exists and is not this release; remove it or choose another destination")
    try:
        return _unpack(archive, dest, target.name)
    except OSError as exc:
        raise _error(f"cannot write to {dest}: {exc.strerror or exc}") from None


def fetch(version: str = "latest", dest=None, progress: bool = True) -> Path:
    """Download (once) and verify a published version; return its release directory.

    ``version``: a version in the registry, or ``latest``. Without ``dest``
    the release stays in the per-user cache; with it, it is unpacked into
    ``dest/dprk-relations-<version>/`` as well. Raises LoadError with a
    one-line reason when anything fails, and keeps nothing that failed.
    """
    try:
        registry = reg_mod.read()
        version = registry.resolve(version)
        entry = registry.versions[version]
    except reg_mod.RegistryError as exc:
        raise _error(str(exc)) from None
    cache = cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(f"cannot create the download cache {cache}: {exc.strerror or exc} "
                     f"(set {CACHE_ENV} to another directory)") from None
    _sweep(cache)
    archive = _cached_archive(entry, cache)
    if archive is None:  # only now is the network needed
        try:
            url = registry.url(version)
        except reg_mod.RegistryError as exc:
            raise _error(str(exc)) from None
        archive = _retrieve(version, entry, url, cache, progress)
    if dest is not None:
        return _copy_to(archive, Path(dest))
    try:
        return _cached_release(archive, entry, cache)
    except OSError as exc:
        raise _error(f"cannot unpack {archive.name} in the download cache {cache}: {exc.strerror or exc}") from None

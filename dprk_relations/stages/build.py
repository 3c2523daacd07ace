"""Build a release from raw data: validate, derive, write, and put in place atomically.

A release is written into a temporary directory beside its destination and
renamed into place only when complete, so a killed build leaves nothing half
written. A published release is never touched again: when raw data no
longer gives the same bytes, the new build goes to ``build/unreleased/``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dprk_relations.checks.report import Report
from dprk_relations.stages.derive import release_tables

UNRELEASED = "unreleased"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"


class BuildLocked(Exception):
    """Another build holds the lock on the build directory."""


@dataclass
class BuildResult:
    status: str  # invalid | built | reproduced | unreleased
    version: str = ""
    path: Path | None = None
    report: Report = field(default_factory=Report)
    summary: str = ""  # for unreleased: what differs from the published version
    files: dict = field(default_factory=dict)  # relative path -> sha256

    @property
    def ok(self) -> bool:
        return self.status != "invalid"


# Loaders that travel in every release, so that the zip alone is enough to use the data.
LOADERS = ("load.R", "load.py")


def loader_bytes(name: str) -> bytes:
    """A loader's bytes: datapackage/ in a checkout, dprk_relations/data/ in an installed wheel."""
    from dprk_relations.access.registry import DATA_DIR

    path = DATA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"{name}: the loader a release carries is missing from {DATA_DIR}")
    return path.read_bytes()


def release_contents(package, tables, version: str, created: str | None, changelog: str) -> dict[str, bytes]:
    """Every file of the release, as bytes, by relative path."""
    from dprk_relations.documents import citation
    from dprk_relations.documents import files as rf
    from dprk_relations.documents import documents
    from dprk_relations.documents.safety import check_release_csvs

    files: dict[str, bytes] = {}
    top = f"dprk-relations-{version}"
    for name, rt in tables.items():
        files[f"data/{name}.csv"] = rf.csv_bytes(rt)
        files[f"data/{name}.parquet"] = rf.parquet_bytes(rt, version)
    # The writer's own last check: raises UnsafeCell before anything is written.
    check_release_csvs({p: b for p, b in files.items() if p.endswith(".csv")}, {n: rt.schema for n, rt in tables.items()})
    desc = rf.descriptor(package.descriptor, tables, files, version, created)
    pq_desc = rf.descriptor(package.descriptor, tables, files, version, created, parquet=True)
    files["datapackage.json"] = rf.dumps_json(desc)
    files[rf.PARQUET_DESCRIPTOR] = rf.dumps_json(pq_desc)
    for name in LOADERS:
        files[name] = loader_bytes(name)
    files["CITATION.cff"] = citation.citation_cff(desc).encode("utf-8")
    files["CHANGELOG.md"] = changelog.encode("utf-8")
    # The codebook and the page describe every data file, Parquet included: they get the one
    # descriptor they were written for, both descriptors' resources under distinct names.
    both = desc["resources"] + [{**r, "name": f"{r['name']}-parquet"} for r in pq_desc["resources"]]
    files.update(documents({**desc, "resources": both}, tables, files))
    # The README lists what is inside the release; the zip holds the release, not itself.
    listed = sorted(p for p in files if not p.startswith("data/")) + ["SHA256SUMS"]
    files["README.md"] = citation.release_readme(desc, tables, [p for p in listed if p != "README.md"]).encode("utf-8")
    files["SHA256SUMS"] = rf.sha256sums(files)
    files[f"{top}.zip"] = rf.zip_bytes(files, top)
    return files


def read_changelog(package_dir: Path) -> str:
    path = Path(package_dir) / "CHANGELOG.md"
    return path.read_text(encoding="utf-8") if path.is_file() else "# Changelog\n"


@contextmanager
def build_lock(build_root: Path):
    """One build at a time per build directory; a second one is told, not queued."""
    build_root.mkdir(parents=True, exist_ok=True)
    fh = open(build_root / LOCK, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise BuildLocked(f"another build is running in {build_root} ({holder}); "
                              f"wait for it to finish and try again") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        # Left by a build that was killed: never a release, safe to remove under the lock.
        for stale in build_root.glob(TMP_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        fh.close()


def same_tree(a: Path, b: Path) -> bool:
    def listing(root):
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    la, lb = listing(a), listing(b)
    return la == lb and all((a / p).read_bytes() == (b / p).read_bytes() for p in la)


def write_release(files: dict[str, bytes], build_root: Path, version: str) -> tuple[str, Path, str]:
    """Put ``files`` in place as build/<version>/, or as build/unreleased/ when
    <version> is published with other contents. Returns (status, path, summary)."""
    from dprk_relations.documents.files import write_tree

    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=build_root))
    try:
        write_tree(tmp, files)
        for path in [tmp, *tmp.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        target = build_root / version
        if not target.exists():
            os.rename(tmp, target)
            _fsync_dir(build_root)
            return "built", target, ""
        if same_tree(tmp, target):
            shutil.rmtree(tmp)
            return "reproduced", target, ""
        from dprk_relations.stages.diff import compare, snapshot_release

        summary = compare(snapshot_release(target), snapshot_release(tmp)).summary()
        unreleased = build_root / UNRELEASED
        if unreleased.exists():
            old = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=build_root))
            os.rename(unreleased, old / "x")
            os.rename(tmp, unreleased)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, unreleased)
        _fsync_dir(build_root)
        return "unreleased", unreleased, summary
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build(package_dir=".", out=None, sources=None, engine="auto", strict=False,
          version: str | None = None, created: str | None = None, changelog: str | None = None) -> BuildResult:
    """Validate raw data and write the release ``build/<version>/`` (see module doc).

    ``version``, ``created`` and ``changelog`` default to what the package
    holds (datapackage.json, CHANGELOG.md); `release` passes new ones.
    """
    from dprk_relations.documents.files import sha256_hex
    from dprk_relations.stages.derive import derive
    from dprk_relations.stages.validate import Checking

    package_dir = Path(package_dir)
    with Checking(package_dir, sources=sources, engine=engine, strict=strict) as checking:
        files = None
        if checking.valid_so_far:  # the release is made in memory while frictionless finishes
            package = checking.package
            version = version or package.version
            created = created if created is not None else package.descriptor.get("created")
            changelog = changelog if changelog is not None else read_changelog(package_dir)
            files = release_contents(package, derive(package, checking.typed), version, created, changelog)
        report = checking.finish()
    if files is None or not report.valid:
        return BuildResult("invalid", report=report)
    digests = {p: sha256_hex(d) for p, d in files.items()}
    build_root = Path(out) if out else package_dir / "build"
    with build_lock(build_root):
        status, path, summary = write_release(files, build_root, version)
    return BuildResult(status, version, path, report, summary, digests)

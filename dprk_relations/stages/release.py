"""`release`: publish the raw data as a new version, bumped as the changes require.

The diff against the latest published release decides the smallest bump the
versioning rules allow; a smaller one is refused. The changelog entry is
written from the diff, datapackage.json, CITATION.cff and .zenodo.json get the
new version and date, the registry of published versions
(datapackage/registry.json, when the package directory is a checkout that
has it) gets the new archive's size and sha256, and the release is built.
Repository files are written first (each atomically) and the release
directory last, so a release cut short can be finished with
`dprk-relations build`, which gives the same bytes the registry lists.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from dprk_relations.stages.diff import BUMPS, Diff, Snapshot, compare, snapshot_release, snapshot_tables

VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
FIRST_VERSION = "1.0.0"


class ReleaseRefused(Exception):
    """The release cannot go ahead; the message says why and what to do."""


class ReleaseUnfinished(Exception):
    """datapackage.json names the new version, but its release directory could
    not be written (a full or read-only disk); `dprk-relations build` finishes it."""


@dataclass
class ReleaseResult:
    version: str
    bump: str
    diff: Diff | None
    path: Path
    changelog_entry: str
    files: dict = field(default_factory=dict)
    repo_files: list = field(default_factory=list)  # repository files written, besides build/<version>/
    warnings: list = field(default_factory=list)


# Where a reader of the release finds the project; until set, the release says so in words.
ADDRESS_KEYS = ("homepage", "x-repository")


def unset_addresses(descriptor: dict) -> str | None:
    """A warning when datapackage.json gives no homepage or repository address."""
    missing = [k for k in ADDRESS_KEYS if not descriptor.get(k)]
    if not missing:
        return None
    return (f"warning: datapackage.json has no {' or '.join(missing)}: the release README and CITATION.cff "
            f"cannot say where the project lives; set {', '.join(missing)} in datapackage.json once it has "
            f"a public address")


def published_versions(build_root: Path) -> list[str]:
    found = [p.name for p in Path(build_root).glob("*") if p.is_dir() and VERSION.match(p.name)]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def bumped(version: str, bump: str) -> str:
    major, minor, patch = (int(x) for x in VERSION.match(version).groups())
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _first_entry(version: str, day: str, tables) -> str:
    counts = ", ".join(f"{n} {len(rt.strings)}" for n, rt in tables.items())
    return f"## {version} ({day})\n\nFirst release. Rows per table: {counts}.\n"


def _with_entry(changelog: str, entry: str, published=None) -> str:
    head = "# Changelog\n"
    body = changelog[len(head):].lstrip("\n") if changelog.startswith(head) else changelog
    # A release cut short may have left its entry on top, for a version that
    # was never published: run again, and it is replaced, not repeated.
    new = entry[3:].split(" ", 1)[0]

    def stale(version: str) -> bool:
        return published is not None and version not in published and (bool(published) or version == new)

    while body.startswith("## ") and stale(body[3:].split(" ", 1)[0].strip()):
        nxt = body.find("\n## ")
        body = body[nxt + 1:] if nxt >= 0 else ""
    return head + "\n" + entry + ("\n" + body if body.strip() else "")


def _write_json(path: Path, obj) -> None:
    from dprk_relations.stages.fmt import write_atomic

    write_atomic(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def release(package_dir=".", bump: str | None = None, day: str | None = None, sources=None,
            strict: bool = True, notes: str | None = None) -> ReleaseResult:
    """Publish a new version; raise ReleaseRefused when it must not happen.

    ``strict`` (the default): every source text that is held must be found, so
    that no quote goes out unchecked. ``notes``: the maintainers' own words for
    the changelog entry (what a user should know that a diff of the tables does
    not say), put right under its heading."""
    from dprk_relations.documents import citation
    from dprk_relations.access import registry
    from dprk_relations.stages.build import build_lock, read_changelog, release_contents, release_tables, write_release
    from dprk_relations.stages.fmt import write_atomic

    package_dir = Path(package_dir)
    build_root = package_dir / "build"
    if bump is not None and bump not in BUMPS[1:]:
        raise ReleaseRefused(f"the bump must be one of major, minor, patch, not {bump!r}")
    day = day or Date.today().isoformat()
    package, tables, report = release_tables(package_dir, sources=sources, strict=strict)
    if package is None:
        raise ReleaseRefused(f"the raw data is not valid ({len(report.errors)} errors); "
                             f"run `dprk-relations validate` and fix them first")
    warnings = [w for w in (unset_addresses(package.descriptor),) if w]
    for w in warnings:  # said before the release goes ahead: a release is never changed after
        print(w, file=sys.stderr)
    versions = published_versions(build_root)
    d = None
    if not versions:
        version, bump = FIRST_VERSION, bump or "major"
        entry = _first_entry(version, day, tables)
    else:
        latest = versions[-1]
        d = compare(snapshot_release(build_root / latest), snapshot_tables(package, tables, "raw data"))
        required = d.bump
        if required == "none":
            raise ReleaseRefused(f"nothing has changed since {latest}: there is nothing to release")
        if bump is not None and BUMPS.index(bump) < BUMPS.index(required):
            raise ReleaseRefused(f"a {bump} release is too small: the changes since {latest} require {required}, "
                                 f"because " + "; ".join(d.reasons))
        bump = bump or required
        version = bumped(latest, bump)
        d.new_version = version
        entry = d.to_markdown(heading=f"## {version} ({day})")
    if notes and notes.strip():
        heading, _, rest = entry.partition("\n\n")
        entry = f"{heading}\n\n{notes.strip()}\n\n{rest}"
    if (build_root / version).exists():
        raise ReleaseRefused(f"build/{version} is already published; a published release is never overwritten")
    created = f"{day}T00:00:00Z"
    package.descriptor["version"] = version
    package.descriptor["created"] = created
    changelog = _with_entry(read_changelog(package_dir), entry, published=set(versions))
    files = release_contents(package, tables, version, created, changelog)
    archive = f"dprk-relations-{version}.zip"
    registry_path = registry.in_package_dir(package_dir)
    new_registry = None
    if registry_path.is_file():  # checked before anything is written
        try:
            new_registry = registry.read(registry_path).with_version(version, archive, files[archive])
        except registry.RegistryError as exc:
            raise ReleaseRefused(str(exc)) from None
    written = [package_dir / n for n in ("datapackage.json", "CHANGELOG.md", "CITATION.cff", ".zenodo.json")]
    # The lock first: a build/ that cannot be written, or another build, stops
    # the release before it changes anything. Then datapackage.json last: until
    # it names the new version nothing is released and `release` can simply
    # run again (the registry accepts the same archive twice); once it does,
    # `build` finishes the job.
    with build_lock(build_root):
        write_atomic(package_dir / "CHANGELOG.md", changelog.encode("utf-8"))
        write_atomic(package_dir / "CITATION.cff", citation.citation_cff(package.descriptor).encode("utf-8"))
        write_atomic(package_dir / ".zenodo.json", citation.zenodo_json(package.descriptor).encode("utf-8"))
        if new_registry is not None:
            write_atomic(registry_path, new_registry.to_bytes())
            written.append(registry_path)
        _write_json(package_dir / "datapackage.json", package.descriptor)
        try:
            status, path, _ = write_release(files, build_root, version)
        except OSError as exc:
            raise ReleaseUnfinished(
                f"datapackage.json names {version}, but build/{version} could not be written: "
                f"{exc.strerror or exc} ({exc.filename or build_root}); nothing is left half written: "
                f"fix that, then run `dprk-relations build` to finish the release") from None
    assert status == "built", status
    return ReleaseResult(version, bump, d, path, entry, files, written, warnings)

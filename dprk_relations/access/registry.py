"""The registry of published versions: for each, its archive's name, size and
sha256, and where the archives are hosted.

One file, ``datapackage/registry.json``, kept in the repository and shipped
inside the Python package (so an installed package knows every version
published before it, and the hash each one must have). `release` adds the new
version to it; `download` and R's ``download_dprk_relations`` read it.

Where an archive is fetched from: ``url_pattern`` filled with ``base_url``,
the version and the archive name. ``DPRK_RELATIONS_BASE_URL`` overrides
``base_url`` (mirrors, tests). A version may also carry its own ``url`` (say a
DOI or a record's file address) that the pattern does not give; the
environment variable still takes precedence, because a mirror has every
version under one pattern. The hash in the registry, not the host, decides
whether a download is accepted.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

REGISTRY_FILE = "registry.json"
# In a checkout the registry is datapackage/registry.json; an installed wheel carries
# that folder as dprk_relations/data/ (pyproject.toml maps it).
_HERE = Path(__file__).resolve().parent.parent
DATA_DIR = next((d for d in (_HERE.parent / "datapackage", _HERE / "data") if (d / REGISTRY_FILE).is_file()),
                _HERE / "data")
PATH = DATA_DIR / REGISTRY_FILE
BASE_URL_ENV = "DPRK_RELATIONS_BASE_URL"
DEFAULT_PATTERN = "{base_url}/v{version}/{archive}"
VERSION = re.compile(r"^\d+\.\d+\.\d+$")
ARCHIVE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.zip$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")

ABOUT = ("Published versions of the dprk-relations dataset: the archive of each, its size in bytes and its "
         "sha256, which every download must match. Archives are fetched from url_pattern filled with base_url "
         "(or a version's own url). base_url is null until the hosting location is decided: set the "
         "DPRK_RELATIONS_BASE_URL environment variable, or set base_url here (for release assets, the address "
         "under which each release's files are published, e.g. <repository>/releases/download). "
         "`dprk-relations release` adds each new version.")


class RegistryError(Exception):
    """The registry cannot answer: an unknown version, no download location, a malformed file."""


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


@dataclass
class Registry:
    base_url: str | None
    url_pattern: str
    versions: dict  # version -> {"archive", "bytes", "sha256"[, "url"]}
    path: Path | None = None

    # -- reading ---------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict, path: Path | None = None) -> "Registry":
        where = path or "registry"
        if not isinstance(data, dict) or not isinstance(data.get("versions"), dict):
            raise RegistryError(f"{where}: not a registry (no 'versions' object)")
        for version, entry in data["versions"].items():
            problem = _entry_problem(version, entry)
            if problem:
                raise RegistryError(f"{where}: version {version!r}: {problem}")
        base = data.get("base_url")
        if base is not None and not isinstance(base, str):
            raise RegistryError(f"{where}: base_url must be a string or null")
        return cls(base or None, data.get("url_pattern") or DEFAULT_PATTERN, dict(data["versions"]), path)

    def to_dict(self) -> dict:
        ordered = {v: self.versions[v] for v in sorted(self.versions, key=version_key)}
        return {"about": ABOUT, "base_url": self.base_url, "url_pattern": self.url_pattern, "versions": ordered}

    def known(self) -> list[str]:
        return sorted(self.versions, key=version_key)

    def latest(self) -> str:
        if not self.versions:
            raise RegistryError("the registry lists no published version yet")
        return self.known()[-1]

    def resolve(self, version: str) -> str:
        """A published version from a version string or ``latest``."""
        if version == "latest":
            return self.latest()
        if version not in self.versions:
            known = ", ".join(self.known()) or "none yet"
            raise RegistryError(f"unknown version {version!r}: the published versions are {known}"
                                + (" (or 'latest')" if self.versions else ""))
        return version

    def url(self, version: str) -> str:
        """Where the archive of a published version is fetched from."""
        entry = self.versions[version]
        base = os.environ.get(BASE_URL_ENV, "").strip()
        if not base and entry.get("url"):
            return entry["url"]
        base = base or self.base_url
        if not base:
            raise RegistryError(f"no download location is set for published releases yet: set {BASE_URL_ENV} "
                                f"to a mirror's address, or base_url in the registry "
                                f"({self.path or REGISTRY_FILE}) once the hosting location is decided")
        return self.url_pattern.format(base_url=base.rstrip("/"), version=version, archive=entry["archive"])

    # -- writing ---------------------------------------------------------------

    def with_version(self, version: str, archive: str, data: bytes) -> "Registry":
        """A copy with ``version`` added; refused if it is listed with other bytes."""
        import hashlib

        entry = {"archive": archive, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        old = self.versions.get(version)
        if old is not None and (old.get("sha256"), old.get("bytes")) != (entry["sha256"], entry["bytes"]):
            raise RegistryError(f"version {version} is already in the registry with another archive "
                                f"(sha256 {old.get('sha256')}); a published version never changes")
        if old is not None:
            entry = {**old, **entry}
        return Registry(self.base_url, self.url_pattern, {**self.versions, version: entry}, self.path)

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _entry_problem(version, entry) -> str | None:
    if not isinstance(version, str) or not VERSION.match(version):
        return "not a version number (MAJOR.MINOR.PATCH)"
    if not isinstance(entry, dict):
        return "not an object"
    if not isinstance(entry.get("archive"), str) or not ARCHIVE.match(entry["archive"]):
        return "archive must be a plain .zip file name"
    if not isinstance(entry.get("bytes"), int) or isinstance(entry["bytes"], bool) or entry["bytes"] <= 0:
        return "bytes must be a positive integer"
    if not isinstance(entry.get("sha256"), str) or not SHA256.match(entry["sha256"]):
        return "sha256 must be 64 lowercase hex digits"
    if "url" in entry and not isinstance(entry["url"], str):
        return "url must be a string"
    return None


def read(path: Path | None = None) -> Registry:
    """The registry at ``path`` (default: the one shipped with this package)."""
    path = Path(path) if path else PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read the registry {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise RegistryError(f"the registry {path} is not valid JSON: {exc}") from None
    return Registry.from_dict(data, path)


def in_package_dir(package_dir: Path) -> Path:
    """Where a repository checkout keeps the registry that `release` updates."""
    return Path(package_dir) / "datapackage" / REGISTRY_FILE

"""Check a release someone downloaded: every size and hash, every table
against its schema, and nothing that reaches outside the release.

The release is untrusted input: a zip is unpacked with the checks of
:mod:`dprk_relations.access.archive` into a temporary directory, and every path in a
descriptor or checksum list must stay inside the release.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dprk_relations.access.archive import UnsafeArchive, extract_release
from dprk_relations.model.package import safe_relpath
from dprk_relations.documents.files import PARQUET_DESCRIPTOR, sha256_file

MAX_DESCRIPTOR_BYTES = 50 * 1024 * 1024


@dataclass
class VerifyResult:
    path: str
    failures: list = field(default_factory=list)  # (file, message)
    checked: list = field(default_factory=list)  # files whose size and hash matched
    report: object = None  # the validation report of the tables

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_text(self) -> str:
        lines = [f"FAILED {f}: {m}" for f, m in self.failures]
        if self.ok:
            lines.append(f"verified {self.path}: {len(self.checked)} files match their sizes and sha256, "
                         f"and every table validates against its schema")
        else:
            lines.append(f"{self.path} did not verify: {len(self.failures)} problem(s)")
        return "\n".join(lines) + "\n"


def _check_file(root: Path, rel, expected_hash: str | None, expected_bytes, result: VerifyResult, listed_in: str):
    path, why = safe_relpath(rel, root)
    if path is None:
        result.failures.append((str(rel), f"{listed_in}: path {why}"))
        return
    if not path.is_file():
        result.failures.append((rel, f"{listed_in}: file missing"))
        return
    if expected_bytes is not None and path.stat().st_size != expected_bytes:
        result.failures.append((rel, f"{listed_in}: {path.stat().st_size} bytes, expected {expected_bytes}"))
        return
    if expected_hash is not None:
        actual = sha256_file(path)
        if actual != expected_hash:
            result.failures.append((rel, f"{listed_in}: sha256 {actual}, expected {expected_hash}"))
            return
    result.checked.append(rel)


def verify_dir(root: Path, label: str | None = None) -> VerifyResult:
    root = Path(root)
    result = VerifyResult(label or str(root))
    desc_path = root / "datapackage.json"
    if desc_path.is_symlink() or not desc_path.is_file():
        result.failures.append(("datapackage.json", "missing (or a link)"))
        return result
    if desc_path.stat().st_size > MAX_DESCRIPTOR_BYTES:
        result.failures.append(("datapackage.json", "implausibly large"))
        return result
    try:
        desc = json.loads(desc_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        result.failures.append(("datapackage.json", f"not a valid descriptor: {exc}"))
        return result
    resources = desc.get("resources") if isinstance(desc, dict) else None
    if not isinstance(resources, list):
        result.failures.append(("datapackage.json", "not a valid descriptor: it needs a list of resources"))
        return result
    described = [("datapackage.json", resources)]
    if (root / PARQUET_DESCRIPTOR).exists() or (root / PARQUET_DESCRIPTOR).is_symlink():
        described.append((PARQUET_DESCRIPTOR, _descriptor_resources(root / PARQUET_DESCRIPTOR, result)))
    for listed_in, listed in described:
        for res in listed:
            if not isinstance(res, dict):
                result.failures.append((listed_in, "a resource is not an object"))
                continue
            digest = str(res.get("hash", ""))
            digest = digest.split(":", 1)[1] if digest.startswith("sha256:") else None
            if digest is None:
                result.failures.append((str(res.get("path")), f"{listed_in}: no sha256 hash"))
            _check_file(root, res.get("path"), digest, res.get("bytes"), result, listed_in)
    # A data file no descriptor lists would escape the size checks and the loaders: a Parquet
    # file whose datapackage-parquet.json went missing along with its SHA256SUMS line, say.
    listed_paths = {res.get("path") for _, listed in described for res in listed if isinstance(res, dict)}
    for path in sorted((root / "data").rglob("*")) if (root / "data").is_dir() else []:
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in listed_paths:
            result.failures.append((rel, f"listed in neither datapackage.json nor {PARQUET_DESCRIPTOR}"))
    sums = root / "SHA256SUMS"
    listed = set()
    if sums.is_file() and not sums.is_symlink():
        for n, line in enumerate(sums.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            digest, _, rel = line.partition("  ")
            if len(digest) != 64 or not rel:
                result.failures.append(("SHA256SUMS", f"line {n} is not '<sha256>  <path>'"))
                continue
            listed.add(rel)
            if rel not in result.checked:
                _check_file(root, rel, digest, None, result, f"SHA256SUMS line {n}")
    else:
        result.failures.append(("SHA256SUMS", "missing"))
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            result.failures.append((rel, "is a symbolic link"))
        elif path.is_file() and rel != "SHA256SUMS" and rel not in listed and not (
                rel.endswith(".zip") and "/" not in rel):
            result.failures.append((rel, "not listed in SHA256SUMS"))
    for archive in sorted(root.glob("*.zip")):
        if archive.is_file() and not archive.is_symlink():
            _check_archive(root, archive, result)
    if result.ok:
        _validate_tables(root, result)
    return result


def _descriptor_resources(path: Path, result: VerifyResult) -> list:
    """The resources a further descriptor lists; a failure, and none, when it is not one."""
    if path.is_symlink() or not path.is_file():
        result.failures.append((path.name, "not a regular file (a link?)"))
        return []
    if path.stat().st_size > MAX_DESCRIPTOR_BYTES:
        result.failures.append((path.name, "implausibly large"))
        return []
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        result.failures.append((path.name, f"not a valid descriptor: {exc}"))
        return []
    resources = desc.get("resources") if isinstance(desc, dict) else None
    if not isinstance(resources, list):
        result.failures.append((path.name, "not a valid descriptor: it needs a list of resources"))
        return []
    return resources


def _check_archive(root: Path, archive: Path, result: VerifyResult) -> None:
    """The zip beside a release must hold exactly the release's files."""
    with tempfile.TemporaryDirectory(prefix="dprk-verify-zip-") as tmp:
        try:
            inner = extract_release(archive, Path(tmp))
        except UnsafeArchive as exc:
            result.failures.append((archive.name, str(exc)))
            return
        except OSError as exc:
            result.failures.append((archive.name, f"cannot unpack it into a temporary directory: "
                                                  f"{exc.strerror or exc}"))
            return
        theirs = {p.relative_to(inner).as_posix() for p in inner.rglob("*") if p.is_file()}
        ours = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {archive.name}
        for rel in sorted(theirs ^ ours):
            result.failures.append((archive.name, f"{rel} is {'only in the zip' if rel in theirs else 'missing from the zip'}"))
        for rel in sorted(theirs & ours):
            if sha256_file(inner / rel) != sha256_file(root / rel):
                result.failures.append((archive.name, f"{rel} in the zip differs from the file beside it"))


def _validate_tables(root: Path, result: VerifyResult) -> None:
    import pyarrow.parquet as pq

    from dprk_relations.stages.validate import validate

    report = validate(root, engine="auto")
    result.report = report
    for p in report.errors:
        result.failures.append((p.file or "datapackage.json", f"line {p.line} [{p.column}] {p.rule}: {p.message}"))
    if not report.valid:
        return
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    counts = {}
    for res in desc["resources"]:
        if res.get("format") == "csv" and res.get("type") == "table":
            counts[str(res.get("name"))] = (root / res["path"]).read_bytes().count(b"\n") - 1
    parquets = list(desc["resources"])
    if (root / PARQUET_DESCRIPTOR).is_file():  # its shape was checked with the hashes
        parquets += json.loads((root / PARQUET_DESCRIPTOR).read_text(encoding="utf-8"))["resources"]
        named = {str(r.get("name")) for r in parquets if r.get("format") == "parquet"}
        for name in sorted(set(counts) - named):
            result.failures.append((PARQUET_DESCRIPTOR, f"lists no Parquet file for the table {name}"))
    for res in parquets:
        if res.get("format") == "parquet":
            name = str(res.get("name", "")).removesuffix("-parquet")
            try:
                # The whole file, not its footer alone: a damaged data page behind an intact footer
                # (and a hash made to match) is found only by decoding it, as load would.
                rows = pq.read_table(root / res["path"]).num_rows
            except Exception as exc:  # noqa: BLE001 - any unreadable file is a failure to report
                result.failures.append((res["path"], f"not a readable Parquet file: {exc}"))
                continue
            if name in counts and rows != counts[name]:
                result.failures.append((res["path"], f"{rows} rows, but the CSV has {counts[name]}"))


def verify(path) -> VerifyResult:
    """Verify a release directory or zip; the result names every failing file."""
    path = Path(path)
    if path.is_file():
        def cannot_unpack(exc):  # the temporary directory failed, not the release: a full or read-only disk
            return VerifyResult(str(path), failures=[(path.name, f"cannot unpack it into a temporary directory "
                                                                 f"({tempfile.gettempdir()}): {exc.strerror or exc}")])
        try:
            scratch = tempfile.TemporaryDirectory(prefix="dprk-verify-")
        except OSError as exc:
            return cannot_unpack(exc)
        with scratch as tmp:
            try:
                root = extract_release(path, Path(tmp))
            except UnsafeArchive as exc:
                return VerifyResult(str(path), failures=[(path.name, str(exc))])
            except OSError as exc:
                return cannot_unpack(exc)
            return verify_dir(root, label=str(path))
    if path.is_dir():
        return verify_dir(path)
    return VerifyResult(str(path), failures=[(str(path), "no such file or directory")])

"""Rewrite raw CSVs in canonical form, changing form only, never a value."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dprk_relations.model.csvfile import canonical_bytes, parse_bytes, read_raw, sort_frame
from dprk_relations.model.package import load_package
from dprk_relations.model.problems import RULES


@dataclass
class FmtResult:
    changed: list = field(default_factory=list)  # paths rewritten (or that would be, with check)
    unchanged: list = field(default_factory=list)
    refused: dict = field(default_factory=dict)  # path -> why


def write_atomic(path: Path, data: bytes) -> None:
    """Write next to the target, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def fmt(package_dir=".", check: bool = False) -> FmtResult:
    package = load_package(Path(package_dir))
    result = FmtResult()
    for table in package.tables.values():
        raw = read_raw(table, package.root)
        blocking = [p for p in raw.problems if not RULES[p.rule].form_only]
        if not raw.usable or blocking:
            why = "; ".join(f"line {p.line}: {p.message}" for p in blocking[:3]) or "the file cannot be read"
            result.refused[table.path] = why
            continue
        data = canonical_bytes(table, raw.frame)
        path = Path(package.root, table.path)
        if path.read_bytes() == data:
            result.unchanged.append(table.path)
            continue
        # The promise is "form only": prove it on the new bytes before writing them.
        back = parse_bytes(table, data)
        before = sort_frame(table, raw.frame[table.field_names]).values.tolist()
        if back.problems or back.frame.values.tolist() != before:
            result.refused[table.path] = "the canonical form would not read back to the same values"
            continue
        if not check:
            write_atomic(path, data)
        result.changed.append(table.path)
    return result

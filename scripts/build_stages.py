#!/usr/bin/env python
"""Where a build's CPU time goes: each stage of a build, run alone, one after the other.

A build runs some of these stages side by side in threads, so its wall time is
not their sum; their CPU time is what the two cores must find room for. The
stages call the same functions as `build` (see builder.release_contents), in
the same order, and write nothing. Usage:

    .venv/bin/python scripts/build_stages.py PACKAGE_DIR [--sources DIR] [--json]

PACKAGE_DIR is a raw package: the repository, or one that scripts/benchmark.py
generated (its sources are in the directory beside it, ending in -texts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def stages(package_dir: Path, sources=None) -> list[dict]:
    """[{stage, cpu_seconds, seconds}] of one build of ``package_dir``, stage by stage."""
    return staged_build(package_dir, sources)[0]


def staged_build(package_dir: Path, sources=None) -> tuple[list[dict], dict[str, bytes]]:
    """(the stages' times, the release's files): the files are those `build` makes, byte
    for byte, so that the stages timed are the build's whole work."""
    from dprk_relations.cli import choose_arrow_allocator

    choose_arrow_allocator()  # Arrow's allocator as in a command; before pyarrow is imported
    out = []
    start_cpu, start = time.process_time(), time.perf_counter()

    def timed(name, fn):
        cpu, wall = time.process_time(), time.perf_counter()
        result = fn()
        out.append({"stage": name, "cpu_seconds": time.process_time() - cpu, "seconds": time.perf_counter() - wall})
        return result

    from dprk_relations.stages import build as builder
    from dprk_relations.documents import citation
    from dprk_relations.documents import files as rf

    package, tables, report = timed("validate and derive (with imports)",
                                    lambda: builder.release_tables(package_dir, sources=sources, strict=True))
    if package is None:
        raise SystemExit(f"{package_dir}: not valid; run `dprk-relations validate` first")
    version = package.version
    files: dict[str, bytes] = {}
    csvs = timed("CSV", lambda: {n: rf.csv_bytes(rt) for n, rt in tables.items()})
    parquet = timed("Parquet", lambda: {n: rf.parquet_bytes(rt, version) for n, rt in tables.items()})
    for name in tables:
        files[f"data/{name}.csv"] = csvs[name]
        files[f"data/{name}.parquet"] = parquet[name]

    def formulas():
        from dprk_relations.documents.safety import check_release_csvs

        check_release_csvs({f"data/{n}.csv": b for n, b in csvs.items()}, {n: rt.schema for n, rt in tables.items()})

    timed("formula check of the CSVs", formulas)
    desc = timed("descriptor (hashes)", lambda: rf.descriptor(package.descriptor, tables, files, version,
                                                             package.descriptor.get("created")))
    files["datapackage.json"] = rf.dumps_json(desc)
    files["CITATION.cff"] = citation.citation_cff(desc).encode("utf-8")
    files["CHANGELOG.md"] = builder.read_changelog(package_dir).encode("utf-8")

    def documents():
        from dprk_relations.documents import documents

        return documents(desc, tables, files)

    files.update(timed("codebook, figure, page (with matplotlib)", documents))
    top = f"dprk-relations-{version}"
    extra = sorted(p for p in files if not p.startswith("data/")) + ["SHA256SUMS", f"{top}.zip"]
    files["README.md"] = citation.release_readme(desc, tables, [p for p in extra if p != "README.md"]).encode("utf-8")
    files["SHA256SUMS"] = rf.sha256sums(files)
    files[f"{top}.zip"] = timed("zip", lambda: rf.zip_bytes(files, top))
    out.append({"stage": "total", "cpu_seconds": time.process_time() - start_cpu,
                "seconds": time.perf_counter() - start})
    return out, files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package_dir", type=Path)
    ap.add_argument("--sources", default=None, help="directory of the source texts (default: DPRK_RELATIONS_SOURCES)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    got = stages(args.package_dir, args.sources)
    if args.json:
        print(json.dumps(got, indent=2))
    else:
        print(f"{'stage':<42} {'CPU s':>7} {'seconds':>8}")
        for row in got:
            print(f"{row['stage']:<42} {row['cpu_seconds']:>7.2f} {row['seconds']:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

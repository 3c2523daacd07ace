#!/usr/bin/env python
"""How long users wait, as ratios measured in the same run.

Targets (issue 17), each a ratio of two commands timed here, in fresh processes:

- validate on the real data              <= 1.5 x  importing its dependencies
- validate on a census-size package      <= 2   x  validate on the real data
- build on a census-size package         <= 2   x  build on the real data
- load() of a release                    <= 1.5 x  import pandas

The census-size package is the real raw data copied until it holds about
30,000 rows (a complete census of leader-level visits, agreements and
sanctions stays below that): each copy's keys, and every reference to them,
get a suffix, so the copies are as valid, as cited and as varied as the real
data. Each run of a command is paired with a run of its baseline, in
alternating order, and a ratio is the median of the pairs' ratios: a slow
moment of a shared machine slows both sides of a pair, not one.

    .venv/bin/python scripts/benchmark.py              # the table, as docs/performance.md shows it
    .venv/bin/python scripts/benchmark.py --json --repeat 1
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
CLI = [PY, "-m", "dprk_relations"]
CENSUS_ROWS = 30_000
TARGETS = {"validate_real": 1.5, "validate_census": 2.0, "build_census": 2.0, "load": 1.5}


def census_package(dest: Path, rows: int = CENSUS_ROWS) -> int:
    """The real package, its raw tables copied with suffixed keys until they hold ``rows`` rows."""
    import pandas as pd

    from dprk_relations.model.csvfile import canonical_bytes, read_raw
    from dprk_relations.model.package import load_package

    for part in ("datapackage.json", "schemas"):
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / part)
    (dest / "raw").mkdir()
    package = load_package(REPO)
    raws = {name: read_raw(t, REPO).frame for name, t in package.tables.items()}
    copies = math.ceil(rows / sum(len(f) for f in raws.values()))
    total = 0
    for name, table in package.tables.items():
        refs = {f for fk in table.foreign_keys for f in fk.fields} | set(table.primary_key)
        lists = {d["field"] for d in table.rules if d.get("rule") == "list-foreign-key"}
        frames = []
        for k in range(copies):
            frame = raws[name].copy()
            if k:
                tag = f"-x{k}"
                for col in refs:
                    frame[col] = frame[col].map(lambda v: v + tag if v else v)
                for col in lists:
                    frame[col] = frame[col].map(lambda v: " ".join(x + tag for x in v.split()) if v else v)
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        (dest / table.path).write_bytes(canonical_bytes(table, out))
        total += len(out)
    return total


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def paired(step: list[str], base: list[str], cwd: Path, env: dict, repeat: int) -> dict:
    pairs = []
    for i in range(repeat):
        if i % 2:
            b, s = timed(base, cwd, env), timed(step, cwd, env)
        else:
            s, b = timed(step, cwd, env), timed(base, cwd, env)
        pairs.append((s, b))
    return {"seconds": statistics.median(s for s, _ in pairs), "baseline_seconds": statistics.median(b for _, b in pairs),
            "ratio": statistics.median(s / b for s, b in pairs)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="pairs per measurement (median taken)")
    ap.add_argument("--rows", type=int, default=CENSUS_ROWS, help="rows of the generated census-size package")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    sources = ["--sources", str(REPO.parent / "shared" / "sources"), "--sources", str(REPO.parent / "shared" / "reference")]
    with tempfile.TemporaryDirectory(prefix="dprk-bench-") as tmp:
        tmp = Path(tmp)
        census = tmp / "census"
        census.mkdir()
        census_rows = census_package(census, args.rows)
        real = tmp / "real"
        real.mkdir()
        for part in ("datapackage.json", "schemas", "raw", "CHANGELOG.md"):
            src = REPO / part
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, real / part)
        shutil.copy2(REPO / "CHANGELOG.md", census / "CHANGELOG.md")
        real_build, census_build = tmp / "real-out", tmp / "census-out"
        validate = [*CLI, "validate", "--strict", *sources]
        build = [*CLI, "build", "--strict", *sources]
        subprocess.run([*build, str(real), "--out", str(real_build)], env=env, check=True, capture_output=True)
        release = next(p for p in real_build.iterdir() if p.is_dir())
        results = {
            "validate_real": paired([*validate, str(real)],
                                    [PY, "-c", "import click, pandas, pyarrow, frictionless, pandera.pandas"],
                                    tmp, env, args.repeat),
            "validate_census": paired([*validate, str(census)], [*validate, str(real)], tmp, env, args.repeat),
            "build_census": paired([*build, str(census), "--out", str(census_build)],
                                   [*build, str(real), "--out", str(real_build)], tmp, env, args.repeat),
            "load": paired([PY, "-c", f"import dprk_relations; dprk_relations.load({str(release)!r})"],
                           [PY, "-c", "import pandas"], tmp, env, args.repeat),
        }
    real_rows = sum(1 for p in (REPO / "raw").glob("*.csv") for _ in p.open(encoding="utf-8")) - \
        len(list((REPO / "raw").glob("*.csv")))
    out = {"real_rows": real_rows, "census_rows": census_rows, "repeat": args.repeat,
           "results": {k: {**v, "target": TARGETS[k], "met": v["ratio"] <= TARGETS[k]} for k, v in results.items()}}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"real data: {real_rows:,} rows; census-size package: {census_rows:,} rows; "
              f"median of {args.repeat} pairs\n")
        print("| measurement | seconds | baseline | ratio | target | met |")
        print("|---|---:|---:|---:|---:|---|")
        names = {"validate_real": "validate (real) / import of its dependencies",
                 "validate_census": "validate (census size) / validate (real)",
                 "build_census": "build (census size) / build (real)",
                 "load": "load() of a release / import pandas"}
        for k, v in out["results"].items():
            print(f"| {names[k]} | {v['seconds']:.2f} | {v['baseline_seconds']:.2f} | {v['ratio']:.2f} | "
                  f"{v['target']} | {'yes' if v['met'] else 'no'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

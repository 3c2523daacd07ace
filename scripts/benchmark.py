#!/usr/bin/env python
"""Benchmark validation and build against a baseline measured in the same run.

Generates synthetic raw packages that are valid under the real schemas
(visits and statements with foreign keys to actors and sources, and a
citation with a checkable evidence quote for every record) at several sizes,
and times, each in a fresh process so that peak memory is its own:

- baseline: pyarrow.csv.read_csv + pyarrow.parquet.write_table of the same CSV files;
- validate with the fast engine, and with the frictionless engine (skipped above
  --frictionless-max rows, 100k by default);
- a full build (CSV + Parquet + descriptor + documents + zip);
- `dprk-relations --help` against `python -c "import pandas"`, and `validate` on
  the real data against the bare import of pandas + pandera + frictionless.

Every figure is also printed as a ratio to its baseline, since absolute times
on a shared machine mean little. Each run of a step is paired with a run of
its baseline, in alternating order, and the ratio is the median of these
pairs' ratios: a slow minute of a shared machine slows both sides of a pair,
not only one. Usage:

    .venv/bin/python scripts/benchmark.py                 # 10k, 100k, 1M rows
    .venv/bin/python scripts/benchmark.py --sizes 10000 --json
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
EXE = [PY, "-m", "dprk_relations"]
DATES = ["2018-03-25", "1960-05", "1960", "1961/1964", "2018-03-25/2018-03-28", "1960?", "2011-12~",
         "2011-12/2018-03", "196X", "2019-01-07/2019-01-10", "2006-10-14", "2017-02-18"]
WORDS = ("north korea china soviet union visit aid sanction statement summit beijing pyongyang moscow "
         "seoul treaty ruble loan debt leader envoy delegation alliance protocol border coal resolution").split()


# -- synthetic data ---------------------------------------------------------------


def _schema_fields(table: str) -> list[str]:
    return [f["name"] for f in json.loads((REPO / "schemas" / f"{table}.json").read_text())["fields"]]


def _write(path: Path, fields: list[str], rows) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(fields)
        for row in rows:
            w.writerow([row.get(f, "") for f in fields])
            n += 1
    return n


def generate(rows: int, root: Path) -> tuple[Path, Path]:
    """A package of about ``rows`` rows in visits, statements and citations; and its sources dir."""
    rng = random.Random(rows)
    shutil.rmtree(root, ignore_errors=True)
    (root / "raw").mkdir(parents=True)
    shutil.copytree(REPO / "schemas", root / "schemas")
    shutil.copy2(REPO / "datapackage.json", root / "datapackage.json")
    for small in ("actors", "offices", "events", "agreements", "aid", "sanctions", "exchange_rates"):
        shutil.copy2(REPO / "raw" / f"{small}.csv", root / "raw" / f"{small}.csv")
    sources_dir = root.parent / f"{root.name}-texts"
    shutil.rmtree(sources_dir, ignore_errors=True)
    sources_dir.mkdir()
    for shared in (REPO.parent / "shared" / "sources", REPO.parent / "shared" / "reference"):
        for f in shared.glob("*.*") if shared.is_dir() else []:
            shutil.copy2(f, sources_dir / f.name)  # the real records' texts, so --strict passes
    text = " ".join(rng.choice(WORDS) for _ in range(40000))
    (sources_dir / "synthetic.txt").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()

    real_sources = list(csv.DictReader(open(REPO / "raw/sources.csv", encoding="utf-8")))
    real_sources.append({"source_id": "synthetic-text", "title": "Synthetic benchmark text", "source_type": "dataset",
                         "sha256": digest, "text_file": "synthetic.txt", "language": "en"})
    _write(root / "raw/sources.csv", _schema_fields("sources"), sorted(real_sources, key=lambda r: r["source_id"]))

    actors = list(csv.DictReader(open(REPO / "raw/actors.csv", encoding="utf-8")))
    persons = [a["actor_id"] for a in actors if a["actor_type"] == "person"]
    states = [a["actor_id"] for a in actors if a["actor_type"] == "state"]
    cats = {f["name"]: f["constraints"]["enum"] for t in ("visits", "statements")
            for f in json.loads((REPO / "schemas" / f"{t}.json").read_text())["fields"] if f.get("categories")}
    n_visits = n_statements = rows // 4
    width = len(str(rows))

    real = {t: list(csv.DictReader(open(REPO / "raw" / f"{t}.csv", encoding="utf-8"))) for t in ("visits", "statements")}

    # Synthetic keys start with "zz", so they sort after the real records, which come first.
    def visits():
        yield from real["visits"]
        for i in range(n_visits):
            kind = rng.choice([c for c in cats["visit_type"] if c != "envoy"])
            yield {"visit_id": f"zzv{i:0{width}d}", "visitor_id": rng.choice(persons), "host_id": rng.choice(states),
                   "location": rng.choice(["Beijing", "Moscow", "", "Pyongyang"]), "date": DATES[i % len(DATES)],
                   "visit_type": kind, "status": rng.choice(cats["status"]),
                   # Random "first" marks and top confidence on inferred dates would break the rules that
                   # check them: the data must stay valid.
                   "first_visit": rng.choice(["false", ""]),
                   "summary": f"Synthetic visit number {i} for the benchmark.", "confidence": rng.choice(["low", "medium"])}

    def statements():
        yield from real["statements"]
        for i in range(n_statements):
            speaker, addressee = rng.sample(persons, 2)
            linked = i % 3 == 0 and i < n_visits
            yield {"statement_id": f"zzs{i:0{width}d}", "speaker_id": speaker, "addressee_id": addressee,
                   "date": DATES[i % len(DATES)], "visit_id": f"zzv{i:0{width}d}" if linked else "",
                   "statement_type": rng.choice(cats["statement_type"]), "topic": rng.choice(cats["topic"]),
                   "summary": f"Synthetic statement number {i} for the benchmark.", "speaker_quoted": "false",
                   "confidence": rng.choice(["low", "medium"])}

    _write(root / "raw/visits.csv", _schema_fields("visits"), visits())
    _write(root / "raw/statements.csv", _schema_fields("statements"), statements())

    def citations():
        yield from csv.DictReader(open(REPO / "raw/citations.csv", encoding="utf-8"))
        for prefix, col, n in (("s", "statement_id", n_statements), ("v", "visit_id", n_visits)):
            for i in range(n):
                start = rng.randrange(0, len(text) - 200)
                quote = text[start:start + rng.randrange(40, 120)].strip()
                yield {"citation_id": f"zzc{prefix}{i:0{width}d}", "source_id": "synthetic-text",
                       col: f"zz{prefix}{i:0{width}d}", "evidence": quote}

    _write(root / "raw/citations.csv", _schema_fields("citations"), citations())
    return root, sources_dir


# -- measuring ----------------------------------------------------------------------


# Seconds to wait before each timed run: the kernel is still taking back the memory
# the last run freed (a million-row build frees over a gigabyte), which would slow
# whatever runs next. A user starts a command on a settled machine.
SETTLE = 1.0


def run(cmd: list[str], cwd=None) -> tuple[float, float, int, float]:
    """(seconds, peak RSS in MiB, exit code, CPU seconds) of one fresh process. The CPU
    time (user + system, with the children it waited for) tells whether a step could
    still gain from more parallel work: on N cores, wall time is at least CPU / N."""
    time.sleep(SETTLE)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    if proc.returncode not in (0,):
        print(f"  ! {' '.join(cmd[-4:])} exited {proc.returncode}: {err[-300:]}", file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def paired(cmd, baseline, repeat: int, baselines: list, setup=None) -> dict:
    """``cmd`` run ``repeat`` times, each beside a run of ``baseline``: a shared machine's
    slow minutes then slow both, and the ratio is the median of the pairs'. The order
    within a pair alternates, since a run is slowed by the memory the one before it
    freed. The baseline's times are added to ``baselines``; ``setup`` runs, untimed,
    before each run of ``cmd``."""
    ratios, results = [], []
    for i in range(repeat):
        if i % 2 == 0:
            base = run(baseline)
        if setup:
            setup()
        got = run(cmd)
        if i % 2 == 1:
            base = run(baseline)
        baselines.append(base)
        results.append(got)
        ratios.append(got[0] / base[0])
    return {**_summary(results), "ratio": statistics.median(ratios)}


def _summary(results: list) -> dict:
    return {"seconds": statistics.median(r[0] for r in results), "peak_mib": max(r[1] for r in results),
            "exit": max(r[2] for r in results), "cpu_seconds": statistics.median(r[3] for r in results)}


BASELINE = """
import sys, pathlib, pyarrow.csv as pc, pyarrow.parquet as pq
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for path in sorted((root / "raw").glob("*.csv")):
    table = pc.read_csv(path, convert_options=pc.ConvertOptions(strings_can_be_null=False))
    pq.write_table(table, out / (path.stem + ".parquet"), compression="zstd")
"""


def bench_size(rows: int, work: Path, repeat: int, frictionless_max: int) -> dict:
    root, texts = generate(rows, work / f"pkg-{rows}")
    total = sum(sum(1 for _ in open(p, encoding="utf-8")) - 1 for p in (root / "raw").glob("*.csv"))
    out = {"rows": total}
    baseline, baselines = [PY, "-c", BASELINE, str(root), str(work / "baseline-out")], []
    out["validate_fast"] = paired(EXE + ["validate", str(root), "--engine", "fast", "--strict",
                                         "--sources", str(texts)], baseline, repeat, baselines)
    if rows <= frictionless_max:
        out["validate_frictionless"] = paired(EXE + ["validate", str(root), "--engine", "frictionless",
                                                     "--strict", "--sources", str(texts)], baseline, 1, baselines)
    build_out = work / f"build-{rows}"
    # Each build starts from an empty output directory: a release in place would be compared, not written.
    out["build"] = paired([*EXE, "build", str(root), "--out", str(build_out), "--strict", "--sources", str(texts)],
                          baseline, repeat, baselines, setup=lambda: shutil.rmtree(build_out, ignore_errors=True))
    out["baseline"] = _summary(baselines)
    for key in ("validate_fast", "validate_frictionless", "build"):
        if key in out:
            out[key]["rows_per_second"] = total / out[key]["seconds"]
    out["baseline"]["rows_per_second"] = total / out["baseline"]["seconds"]
    out["baseline"]["ratio"] = 1.0
    return {k: out[k] for k in ("rows", "baseline", "validate_fast", "validate_frictionless", "build") if k in out}


def bench_startup(repeat: int) -> dict:
    pandas_runs, stack_runs = [], []
    helped = paired(EXE + ["--help"], [PY, "-c", "import pandas"], repeat, pandas_runs)
    real = paired(EXE + ["validate", str(REPO)], [PY, "-c", "import pandas, pandera.pandas, frictionless"],
                  repeat, stack_runs)
    return {"import_pandas": _summary(pandas_runs), "help": helped,
            "import_stack": _summary(stack_runs), "validate_real": real}


TARGETS = {  # (measure, limit on ratio or seconds)
    "validate_fast ratio at the largest size": 2.0,
    "build ratio at the largest size": 3.0,
    "build peak MiB at the largest size": 2048,
    "--help seconds": 0.2,
    "validate_real ratio": 1.5,
}


def verdicts(result: dict) -> dict:
    largest = result["sizes"][max(result["sizes"], key=int)]
    got = {
        "validate_fast ratio at the largest size": largest["validate_fast"]["ratio"],
        "build ratio at the largest size": largest["build"]["ratio"],
        "build peak MiB at the largest size": largest["build"]["peak_mib"],
        "--help seconds": result["startup"]["help"]["seconds"],
        "validate_real ratio": result["startup"]["validate_real"]["ratio"],
    }
    return {k: {"value": round(v, 3), "limit": TARGETS[k], "met": v <= TARGETS[k]} for k, v in got.items()}


def cpu_budget(result: dict) -> dict:
    """What the build target allows in CPU time at the largest size, against what the build
    used: wall time is at least CPU time over the cores, so a build that needs more CPU
    than ``cores x limit x baseline seconds`` cannot meet the target on this machine."""
    largest = result["sizes"][max(result["sizes"], key=int)]
    cpus = result["machine"]["cpus"] or 1
    limit = TARGETS["build ratio at the largest size"]
    base = largest["baseline"]["seconds"]
    used = largest["build"]["cpu_seconds"]
    return {"cpus": cpus, "limit": limit, "baseline_seconds": base, "allowed_cpu_seconds": cpus * limit * base,
            "build_cpu_seconds": used, "floor_ratio": used / cpus / base}


def linearity(result: dict) -> dict:
    """Seconds per row at each size relative to the largest (fixed costs make small
    sizes dear), and the marginal cost: microseconds per row added from one size
    to the next, which stays about flat when cost grows linearly."""
    sizes = sorted(result["sizes"], key=int)
    out = {}
    for key in ("validate_fast", "build"):
        runs = [result["sizes"][s] for s in sizes]
        per_row = [r[key]["seconds"] / r["rows"] for r in runs]
        out[key] = {s: round(p / per_row[-1], 2) for s, p in zip(sizes, per_row)}
        out[key + "_marginal_us_per_row"] = {
            f"{a}-{b}": round(1e6 * (rb[key]["seconds"] - ra[key]["seconds"]) / (rb["rows"] - ra["rows"]), 2)
            for a, b, ra, rb in zip(sizes, sizes[1:], runs, runs[1:])}
    return out


def table(result: dict) -> str:
    lines = [f"{'rows':>9} {'step':<22} {'seconds':>8} {'CPU s':>7} {'rows/s':>11} {'peak MiB':>9} "
             f"{'x baseline':>10}"]
    for size, r in sorted(result["sizes"].items(), key=lambda kv: int(kv[0])):
        for key in ("baseline", "validate_fast", "validate_frictionless", "build"):
            if key in r:
                m = r[key]
                lines.append(f"{r['rows']:>9} {key:<22} {m['seconds']:>8.2f} {m['cpu_seconds']:>7.2f} "
                             f"{m['rows_per_second']:>11,.0f} {m['peak_mib']:>9.0f} {m['ratio']:>10.2f}")
    budget = result.get("cpu_budget")
    if budget:
        lines.append("")
        lines.append(f"CPU budget: the build target ({budget['limit']:g} x the baseline's {budget['baseline_seconds']:.2f} s) "
                     f"on {budget['cpus']} cores allows at most {budget['allowed_cpu_seconds']:.1f} CPU s; "
                     f"the build used {budget['build_cpu_seconds']:.1f}, so it needs at least "
                     f"{budget['floor_ratio']:.2f} x the baseline however well it spreads over the cores")
    s = result["startup"]
    lines.append("")
    lines.append(f"import pandas             {s['import_pandas']['seconds']:.3f} s")
    lines.append(f"dprk-relations --help     {s['help']['seconds']:.3f} s  ({s['help']['ratio']:.2f} x import pandas)")
    lines.append(f"import pandas+pandera+frictionless {s['import_stack']['seconds']:.3f} s")
    lines.append(f"validate (real data)      {s['validate_real']['seconds']:.3f} s  "
                 f"({s['validate_real']['ratio']:.2f} x that import)")
    lines.append("")
    lin = result["linearity"]
    for key in ("validate_fast", "build"):
        lines.append(f"{key}: cost per row relative to the largest size {json.dumps(lin[key])}; "
                     f"microseconds per added row {json.dumps(lin[key + '_marginal_us_per_row'])}")
    for name, v in result["targets"].items():
        lines.append(f"{'met   ' if v['met'] else 'MISSED'} {name}: {v['value']} (limit {v['limit']})")
    return "\n".join(lines)


def main(argv=None) -> int:
    global SETTLE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated row counts")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measure (the median is kept)")
    ap.add_argument("--frictionless-max", type=int, default=100_000, help="largest size for the frictionless engine")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--workdir", type=Path, default=None, help="where to generate (default: a temporary dir)")
    ap.add_argument("--settle", type=float, default=SETTLE, help="seconds to wait before each timed run")
    args = ap.parse_args(argv)
    SETTLE = args.settle  # run() reads it: one setting for the whole run
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dprk-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result = {"sizes": {}, "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
        for rows in sizes:
            print(f"... {rows} rows", file=sys.stderr)
            result["sizes"][str(rows)] = bench_size(rows, work, args.repeat, args.frictionless_max)
            shutil.rmtree(work / f"build-{rows}", ignore_errors=True)
        result["startup"] = bench_startup(max(args.repeat, 5))
        result["linearity"] = linearity(result)
        result["targets"] = verdicts(result)
        result["cpu_budget"] = cpu_budget(result)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

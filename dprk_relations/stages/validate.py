"""Validation: read the package, run one or both engines and the shared rules,
check evidence, and merge everything into one report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dprk_relations.model.package import PackageError, load_package
from dprk_relations.checks.report import Report

if TYPE_CHECKING:
    from dprk_relations.model.csvfile import RawTable

ENGINES = ("auto", "frictionless", "pandera", "fast", "both")
# Below this many rows both engines run and cross-check each other; above it
# the fast engine alone, because frictionless reads about 37k rows a second.
AUTO_THRESHOLD = 50_000
# Above this many bytes of raw CSV, auto will not pick frictionless (50,000 rows
# are some 10 MB): no worker process is started for it.
WORKER_MAX_BYTES = 16 << 20


def pick_engines(engine: str, rows: int) -> tuple[str, ...]:
    """auto: frictionless and the pandera translation cross-check each other on
    data this project's size; above the threshold the fast engine runs alone
    (the same checks as pandera's, without pandera)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
    if engine == "auto":
        return ("frictionless", "pandera") if rows <= AUTO_THRESHOLD else ("fast",)
    if engine == "both":
        return ("frictionless", "pandera")
    return (engine,)


def read_tables(package, when_parsed=None) -> dict[str, RawTable]:
    """Every raw table. Files are read and parsed by Arrow, which releases the
    interpreter lock, in a thread while this one imports pandas, which holds it.

    ``when_parsed``: called in that thread, before pandas is needed, with what
    :func:`.csvarrow.read` gave for each table (name -> (bytes, Arrow table or None))."""
    from concurrent.futures import ThreadPoolExecutor

    from dprk_relations.model import csvarrow

    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = {name: pool.submit(csvarrow.read, t, package.root) for name, t in package.tables.items()}
        if when_parsed is not None:
            # Queued after every read, so it waits only on jobs already running.
            early = pool.submit(lambda: when_parsed({name: job.result() for name, job in loaded.items()}))
        from dprk_relations.model.csvfile import read_raw  # pandas, meanwhile

        prefetched = {name: job.result() for name, job in loaded.items()}
        if when_parsed is not None:
            early.result()
    return {name: read_raw(table, package.root, prefetched[name]) for name, table in package.tables.items()}


def _frictionless_worker(package, engine: str):
    """A second process that imports frictionless and checks the descriptor while
    this one imports pandas and reads the tables; None when it would not pay:
    frictionless is imported here already (a notebook, the tests), or the
    data is too big for auto to pick frictionless."""
    if engine not in ("auto", "frictionless", "both") or "frictionless" in sys.modules:
        return None
    if engine == "auto":
        size = 0
        for table in package.tables.values():
            try:
                size += Path(package.root, table.path).stat().st_size
            except OSError:
                pass  # reading will say so
        if size > WORKER_MAX_BYTES:
            return None
    from dprk_relations.checks import frictionless_worker

    return frictionless_worker.start(package.root)


def validate(package_dir=".", sources=None, engine: str = "auto", strict: bool = False) -> Report:
    """Validate the package in ``package_dir`` and return a :class:`Report`.

    ``sources``: a directory (or list of them) holding the source texts;
    default: the DPRK_RELATIONS_SOURCES environment variable. ``strict``:
    a source whose text cannot be found is an error, not a notice.
    """
    return check_package(package_dir, sources, engine, strict)[0]


def check_package(package_dir=".", sources=None, engine: str = "auto", strict: bool = False):
    """(report, package, typed tables): what validate finds, and what it read,
    for stages that go on from valid data without reading it twice."""
    report = Report()
    try:
        package = load_package(Path(package_dir))
    except PackageError as exc:
        report.add(exc.problems)
        return report.finish(), None, {}
    worker = _frictionless_worker(package, engine)  # first: it overlaps with the imports below
    try:
        return _check(report, package, worker, sources, engine, strict)
    finally:
        if worker:
            worker.cancel()  # a no-op once it has answered


def _check(report, package, worker, sources, engine, strict):
    from concurrent.futures import ThreadPoolExecutor

    sent = []

    def send_early(parsed):
        """When every file is in canonical form, its cells are Arrow's: the worker gets
        them now and checks them while this process is still importing pandas."""
        from dprk_relations.checks import frictionless_engine

        arrow_tables = {name: arrow for name, (_, arrow) in parsed.items()}
        if any(a is None for a in arrow_tables.values()):
            return  # the careful reader decides what is usable: sent after reading
        if "frictionless" in pick_engines(engine, sum(a.num_rows for a in arrow_tables.values())):
            worker.send(frictionless_engine.arrow_cells(package, arrow_tables))
            sent.append(True)

    raws = read_tables(package, send_early if worker else None)  # first: reading overlaps pandas' import
    from dprk_relations.checks import evidence
    from dprk_relations.checks import rules
    from dprk_relations.checks.typed import Typed

    report.add(rules.unknown_declarations(package.tables.values()))
    for raw in raws.values():
        report.add(raw.problems)
    rows = sum(len(r.frame) for r in raws.values() if r.usable)
    engines = pick_engines(engine, rows)
    if worker and "frictionless" in engines:
        if not sent:
            from dprk_relations.checks import frictionless_engine

            worker.send(frictionless_engine.cells(raws))
    elif worker:
        worker.cancel()
    typed = {name: Typed(raw) for name, raw in raws.items() if raw.usable}
    found = []
    # The evidence search and the shared rules spend most of their time in numpy
    # and Arrow, which release the GIL: they run beside the column checks.
    # Reports keep their fixed order.
    with ThreadPoolExecutor(max_workers=2) as pool:
        quoted = pool.submit(evidence.check, typed, sources, strict=strict)
        ruled_f = pool.submit(rules.check, typed)
        if "pandera" in engines:
            from dprk_relations.checks import pandera_engine

            found += pandera_engine.check(package, raws, typed)
        if "fast" in engines:
            from dprk_relations.checks import fast_engine

            found += fast_engine.check(package, raws, typed)
        problems, notices, ev_stats = quoted.result()
        ruled = ruled_f.result()
    found += ruled
    if "frictionless" in engines:
        from dprk_relations.checks import frictionless_engine

        reference = worker.result() if worker else None
        if reference is None:  # no worker, or it failed: the same check, in this process
            reference = frictionless_engine.descriptor_problems(package) + frictionless_engine.check(package, raws)
        report.add(reference)
    report.add(found)
    report.add(problems)
    for name, raw in raws.items():
        if not raw.usable:
            report.notices.append(f"{raw.table.path}: cell checks skipped until the problems above are fixed; "
                                  f"references into {name} were not checked")
    report.notices[:0] = notices
    report.stats = {"tables": len(raws), "rows": rows, "engines": list(engines),
                    "evidence_quotes": ev_stats["quotes"], "evidence_checked": ev_stats["checked"],
                    "evidence_without_text": ev_stats.get("unheld", 0),
                    "evidence_unchecked_by_source": ev_stats.get("unheld_by_source", {})}
    return report.finish(), package, typed

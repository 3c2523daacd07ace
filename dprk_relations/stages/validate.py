"""Validation: read the package, run both engines and the shared rules,
check evidence, and merge everything into one report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dprk_relations.model.package import PackageError, load_package
from dprk_relations.checks.report import Report

if TYPE_CHECKING:
    from dprk_relations.model.csvfile import RawTable

# auto and both: frictionless (the reference) and the pandera translation, each
# on its own, so that each checks the other. One alone is for comparing them.
ENGINES = ("auto", "frictionless", "pandera", "both")


def pick_engines(engine: str) -> tuple[str, ...]:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
    return ("frictionless", "pandera") if engine in ("auto", "both") else (engine,)


def read_tables(package) -> dict[str, RawTable]:
    from dprk_relations.model.csvfile import read_raw

    return {name: read_raw(table, package.root) for name, table in package.tables.items()}


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
    with Checking(package_dir, sources, engine, strict) as checking:
        return checking.finish(), checking.package, checking.typed


class Checking:
    """A validation under way. On creation it checks everything this process checks;
    frictionless, in its second process (see ``frictionless_engine.Background``), may
    still be at work. :attr:`valid_so_far` says whether a stage can start on the data
    (a build makes its release in memory meanwhile); :meth:`finish` waits for
    frictionless and gives the whole report. Use it in a ``with`` block, which stops
    the second process if the stage gives up before it finishes."""

    def __init__(self, package_dir=".", sources=None, engine: str = "auto", strict: bool = False):
        self.report = Report()
        self.package = None
        self.typed: dict = {}
        self.background = None
        self._raws: dict | None = None  # what the second process's findings are placed in
        try:
            package = load_package(Path(package_dir))
        except PackageError as exc:
            self.report.add(exc.problems)
            return
        self.engines = pick_engines(engine)
        if len(self.engines) > 1:  # first, so that it overlaps everything else, imports included
            from dprk_relations.checks.frictionless_engine import Background, second_process_wanted

            if second_process_wanted():
                self.background = Background(package)
        self._check(package, sources, strict)

    def __enter__(self) -> "Checking":
        return self

    def __exit__(self, *exc) -> None:
        if self.background is not None:
            self.background.stop()

    @property
    def valid_so_far(self) -> bool:
        return self.package is not None and self.report.valid

    def finish(self) -> Report:
        if self.background is not None and self._raws is not None:
            self.report.add(self.background.problems(self._raws))
            # why frictionless ran in this process after all, if it did
            self.report.stats["frictionless_fell_back"] = self.background.fell_back
            self._raws = None
        return self.report.finish()

    def _check(self, package, sources, strict) -> None:
        from dprk_relations.checks import evidence, rules
        from dprk_relations.checks.typed import Typed

        report, engines = self.report, self.engines
        declarations = rules.declaration_problems(package.tables)
        if declarations:  # a rule cannot run on a declaration it cannot read
            report.add(declarations)
            return
        raws = read_tables(package)
        for raw in raws.values():
            report.add(raw.problems)
        rows = sum(len(r.rows) for r in raws.values() if r.usable)
        typed = {name: Typed(raw) for name, raw in raws.items() if raw.usable}
        if self.background is None and "frictionless" in engines:  # no second process: frictionless here
            from dprk_relations.checks import frictionless_engine

            report.add(frictionless_engine.descriptor_problems(package) + frictionless_engine.check(package, raws))
        if "pandera" in engines:
            from dprk_relations.checks import pandera_engine

            report.add(pandera_engine.check(package, raws, typed))
        report.add(rules.check(typed))
        problems, notices, ev_stats = evidence.check(typed, sources, strict=strict)
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
        self.package, self.typed, self._raws = package, typed, raws

"""The bad-input corpus (tests/bad/cases.py) through the real command line.

Every case must give exit code 1, the expected problem at its exact place
(rule, file, line, column), a message and a fix for every problem, no
traceback, and no file written or changed anywhere. A few cases run as real
processes, as a user runs them, and are checked in the text report.

Problems of form, of the shared rules and of evidence are found by the same
code whichever engine runs (the engines check only what a Table Schema
states), so those cases run with the pandera engine alone to keep CI quick;
schema and descriptor cases run with the default, both engines.
"""

import json

import pytest

from bad.cases import BY_NAME, CASES, Context, checksum_tree
from conftest import run_cli
from dprk_relations.model.problems import RULES

# As real processes: one of each family, read in the text report a human sees.
PROCESS = {"latin1-bytes", "unbalanced-quote", "descriptor-truncated", "resource-path-dotdot",
           "source-text-changed"}

# What the issue asks the corpus to cover, and the cases that do.
REQUIRED = {
    "BOM": ["bom"], "CRLF": ["crlf"], "';' delimiter": ["semicolon-delimiter"],
    "Latin-1 or Windows-1252 bytes": ["latin1-bytes", "cp1252-smart-quote-bytes"],
    "smart quotes in keys": ["smart-quotes-in-key"], "trailing spaces": ["trailing-space-in-cell"],
    "empty trailing rows": ["empty-trailing-rows"], "column reordered": ["column-reordered"],
    "column renamed": ["column-renamed"], "column missing": ["column-missing"],
    "column duplicated": ["column-duplicated"], "merged header": ["merged-title-row"],
    "thousand separators": ["thousand-separators"], "currency signs": ["currency-sign"],
    "dates as 25/03/2018": ["date-dd-mm-yyyy", "edtf-dd-mm-yyyy"],
    "Excel serials": ["excel-serial-date", "excel-serial-edtf"], "1961-1964 for 1961/1964": ["edtf-hyphen-range"],
    "negative amounts": ["negative-amount"], "astronomically large amounts": ["astronomical-amount"],
    "impossible dates": ["impossible-date", "impossible-edtf-day"], "unknown categories": ["unknown-category"],
    "case variants of categories": ["category-case-variant"], "duplicate keys": ["duplicate-key"],
    "case-only duplicate keys": ["case-only-duplicate-key"], "dangling foreign keys": ["dangling-foreign-key"],
    "forbidden self-references": ["self-reference-aid", "self-reference-sanction"],
    "whitespace in keys": ["leading-space-in-key", "inner-space-in-key"],
    "evidence not in source": ["evidence-not-in-source"], "source text missing": ["source-text-missing"],
    "source text whose sha256 differs": ["source-text-changed"],
    "invalid JSON": ["descriptor-invalid-json", "schema-invalid-json"], "unknown field type": ["unknown-field-type"],
    "schema path outside the repository": ["schema-path-outside", "schema-path-absolute"],
    "resource path with ..": ["resource-path-dotdot"], "a missing file": ["resource-file-missing"],
}


def test_the_corpus_covers_what_the_issue_lists():
    assert len(CASES) >= 40
    for what, names in REQUIRED.items():
        assert all(n in BY_NAME for n in names), what
    tables = {c.file for c in CASES}
    assert {"datapackage.json", "raw/actors.csv", "raw/aid.csv", "raw/citations.csv", "raw/events.csv",
            "raw/exchange_rates.csv", "raw/sanctions.csv", "raw/sources.csv", "raw/statements.csv",
            "raw/visits.csv"} <= tables


def _place(file, line, column) -> str:
    return file + (f":{line}" if line else "") + (f" [{column}]" if column else "")


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_bad_input_is_reported_exactly_and_changes_nothing(pkg, source_dirs, tmp_path, name):
    case = BY_NAME[name]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ctx = Context(scratch, [str(d) for d in source_dirs])
    located = case.locate(pkg)
    for mutate in case.mutations:
        mutate(pkg, ctx)
    rule, file, line, column = expected = case.expected(pkg, located)
    args = ["validate", pkg.root, *ctx.args, *[a for d in ctx.sources for a in ("--sources", d)]]
    before = checksum_tree(tmp_path)
    process = name in PROCESS
    if not process:
        args += ["--format", "json", "--engine", "auto" if RULES[rule].family in ("schema", "descriptor") else "pandera"]
    out = run_cli(*args, cwd=tmp_path, process=process)
    both = out.stdout + out.stderr
    assert out.returncode == 1, both[-3000:]
    assert "Traceback" not in both and "internal error" not in both, both[-3000:]
    assert checksum_tree(tmp_path) == before, "validate wrote or changed a file"
    if process:  # the text report: place, rule, message, and the fix on the next line
        lines = out.stdout.splitlines()
        head = f"{_place(file, line, column)}: error [{rule}] "
        at = [i for i, text in enumerate(lines) if text.startswith(head)]
        assert at, f"{head!r} not in:\n{out.stdout[:3000]}"
        assert len(lines[at[0]]) > len(head) and lines[at[0] + 1].startswith("    fix: ") and \
            len(lines[at[0] + 1].strip()) > len("fix: ")
        return
    report = json.loads(out.stdout)
    found = [(p["rule"], p["file"], p["line"], p["column"]) for p in report["problems"]]
    assert expected in found, json.dumps(report["problems"], indent=1, ensure_ascii=False)[:3000]
    assert not report["valid"] and report["errors"] >= 1
    for p in report["problems"]:
        assert p["message"].strip() and p["fix"].strip(), p


# The rules that the audit of release 1.1.0 asked for: each runs beside every engine, not only pandera.
AUDIT_RULES = {"office-held", "edtf-order", "list-foreign-key", "first-visit", "confidence-for-date"}


@pytest.mark.parametrize("engine", ["frictionless", "both"])
@pytest.mark.parametrize("name", [c.name for c in CASES if c.rule in AUDIT_RULES])
def test_the_audit_rules_run_with_either_engine(pkg, source_dirs, tmp_path, name, engine):
    case = BY_NAME[name]
    ctx = Context(tmp_path, [str(d) for d in source_dirs])
    located = case.locate(pkg)
    for mutate in case.mutations:
        mutate(pkg, ctx)
    out = run_cli("validate", pkg.root, "--format", "json", "--engine", engine,
                  *[a for d in ctx.sources for a in ("--sources", d)])
    assert out.returncode == 1, out.stdout[-2000:] + out.stderr[-2000:]
    found = [(p["rule"], p["file"], p["line"], p["column"]) for p in json.loads(out.stdout)["problems"]]
    assert case.expected(pkg, located) in found, found


def test_every_error_is_reported_at_once(pkg, source_dirs, tmp_path):
    names = ["dangling-foreign-key", "negative-amount", "unknown-category", "formula-at-sign",
             "dangling-key-in-citation", "self-reference-sanction"]
    ctx = Context(tmp_path, [str(d) for d in source_dirs])
    cases = [BY_NAME[n] for n in names]
    located = [c.locate(pkg) for c in cases]
    for c in cases:
        for mutate in c.mutations:
            mutate(pkg, ctx)
    expected = {c.expected(pkg, at) for c, at in zip(cases, located)}
    report = json.loads(run_cli("validate", pkg.root, "--format", "json",
                                *[a for d in source_dirs for a in ("--sources", d)]).stdout)
    found = {(p["rule"], p["file"], p["line"], p["column"]) for p in report["problems"]}
    assert expected <= found


def test_a_descriptor_frictionless_fails_on_is_reported_not_raised(pkg, monkeypatch):
    """frictionless is trusted to judge a descriptor, not to survive every one. Its second
    process cannot start here, so the check runs in this one, where frictionless is broken."""
    import frictionless

    from dprk_relations.checks import frictionless_engine

    def fails(*args, **kwargs):
        raise AttributeError("'list' object has no attribute 'decode'")

    monkeypatch.setattr(frictionless.Package, "validate_descriptor", fails)
    monkeypatch.setattr(frictionless.Resource, "validate", fails)
    monkeypatch.setenv("DPRK_RELATIONS_PROCESSES", "2")
    monkeypatch.setattr(frictionless_engine.sys, "executable", str(pkg.root / "no-such-python"))
    out = run_cli("validate", pkg.root, "--format", "json")
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["stats"]["frictionless_fell_back"].startswith("cannot start")
    messages = [p["message"] for p in report["problems"] if p["rule"] == "descriptor"]
    assert any("frictionless cannot read the descriptor: AttributeError" in m for m in messages), messages
    assert any("frictionless cannot read the schemas: AttributeError" in m for m in messages), messages


def test_frictionless_runs_in_its_own_process_and_finds_what_it_finds_here(pkg, monkeypatch):
    """The second process reads and checks the same cells: its findings are the in-process ones."""
    from dprk_relations.checks import frictionless_engine
    from dprk_relations.model.package import load_package
    from dprk_relations.stages.validate import check_package, read_tables

    rows = (pkg.root / "raw" / "visits.csv").read_text(encoding="utf-8").split("\n")
    cells = rows[1].split(",")
    cells[0] = cells[0] + "-X"  # an id the key's pattern does not allow
    rows[1] = ",".join(cells)
    (pkg.root / "raw" / "visits.csv").write_text("\n".join(rows), encoding="utf-8")
    monkeypatch.setenv("DPRK_RELATIONS_PROCESSES", "2")
    assert check_package(pkg.root)[0].stats["frictionless_fell_back"] is None
    monkeypatch.setenv("DPRK_RELATIONS_PROCESSES", "1")
    assert "frictionless_fell_back" not in check_package(pkg.root)[0].stats  # all in this process
    package = load_package(pkg.root)
    raws = read_tables(package)
    apart = frictionless_engine.Background(package)
    found = apart.problems(raws)
    assert apart.fell_back is None
    assert found == frictionless_engine.descriptor_problems(package) + frictionless_engine.check(package, raws)
    assert "pattern" in {p.rule for p in found}


def test_the_second_process_never_runs_another_copy_of_the_package(pkg, tmp_path, monkeypatch):
    """A copy found first on the second process's path (another checkout, an older install) is not
    asked: that process exits, and the check runs in this one."""
    import shutil
    from pathlib import Path

    import dprk_relations
    from dprk_relations.stages.validate import check_package

    other = tmp_path / "other"
    shutil.copytree(Path(dprk_relations.__file__).parent, other / "dprk_relations",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("PYTHONPATH", str(other))
    monkeypatch.setenv("DPRK_RELATIONS_PROCESSES", "2")
    monkeypatch.chdir(tmp_path)  # not the checkout, which a process started here would find first
    report = check_package(pkg.root)[0]
    assert report.stats["frictionless_fell_back"].startswith("exit 3"), report.stats["frictionless_fell_back"]
    assert report.valid

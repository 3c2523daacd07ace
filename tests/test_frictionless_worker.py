"""The frictionless engine in a second process (dprk_relations.checks.frictionless_worker)
reports exactly what it reports in-process, and validation falls back to the
in-process check whenever the worker gives no clean answer."""

import json

from dprk_relations.stages import validate as validation
from dprk_relations.checks import frictionless_engine
from dprk_relations.checks import frictionless_worker
from dprk_relations.model.package import load_package


def _damage(pkg):
    """One fault of each kind frictionless checks: type, enum, required, primary and foreign key."""
    pkg.set_cell("raw/aid.csv", 2, "amount", "420,000,000")
    pkg.set_cell("raw/visits.csv", 2, "visit_type", "Secret")
    pkg.set_cell("raw/visits.csv", 3, "visitor_id", "")
    pkg.set_cell("raw/visits.csv", 4, "host_id", "atlantis")
    rows = pkg.rows("raw/actors.csv")
    pkg.write_rows("raw/actors.csv", rows[:2] + [rows[1]] + rows[2:])
    descriptor = json.loads(pkg.path("datapackage.json").read_text())
    descriptor["resources"][0]["mediatype"] = 7  # a descriptor fault: frictionless' own verdict
    pkg.path("datapackage.json").write_text(json.dumps(descriptor, indent=2))


def _in_process(root):
    package = load_package(root)
    raws = validation.read_tables(package)
    return package, raws, frictionless_engine.descriptor_problems(package) + frictionless_engine.check(package, raws)


def test_worker_reports_what_the_engine_reports_in_process(pkg):
    _damage(pkg)
    package, raws, expected = _in_process(pkg.root)
    assert {p.rule for p in expected} >= {"type", "enum", "required", "primary-key", "foreign-key", "descriptor"}
    worker = frictionless_worker.start(pkg.root)
    worker.send(frictionless_engine.cells(raws))
    assert worker.result() == expected


def test_worker_finds_nothing_in_the_real_data(repo):
    package, raws, expected = _in_process(repo)
    assert expected == []
    worker = frictionless_worker.start(repo)
    worker.send(frictionless_engine.cells(raws))
    assert worker.result() == []


def test_a_worker_that_dies_gives_no_answer_and_validation_checks_in_process(pkg, monkeypatch):
    _damage(pkg)
    expected = validation.validate(pkg.root, engine="frictionless").to_dict()
    killed = []

    def dying_worker(package, engine):
        worker = frictionless_worker.start(package.root)
        worker.proc.kill()
        killed.append(worker)
        return worker

    monkeypatch.setattr(validation, "_frictionless_worker", dying_worker)
    got = validation.validate(pkg.root, engine="frictionless").to_dict()
    assert killed and killed[0].result() is None
    assert got == expected and got["errors"] > 0


def test_no_worker_when_frictionless_is_imported_or_not_needed(repo):
    package = load_package(repo)
    # The tests import frictionless: a worker would only pay its import again.
    assert validation._frictionless_worker(package, "auto") is None
    assert validation._frictionless_worker(package, "fast") is None


def test_the_command_line_uses_a_worker_and_reports_the_same(pkg, tmp_path):
    """A fresh process has not imported frictionless, so `validate` hands it to a worker."""
    import subprocess
    import sys

    _damage(pkg)
    expected = validation.validate(pkg.root).to_dict()
    probe = ("import json, sys\n"
             "from dprk_relations.stages import validate as validation\n"
             "from dprk_relations.checks import frictionless_worker as fw\n"
             "started = []\n"
             "real = fw.start\n"
             "fw.start = lambda root: started.append(root) or real(root)\n"
             "report = validation.validate(sys.argv[1]).to_dict()\n"
             "print(json.dumps({'started': len(started), 'report': report}))\n")
    out = subprocess.run([sys.executable, "-c", probe, str(pkg.root)], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["started"] == 1
    assert got["report"] == json.loads(json.dumps(expected))


def test_cells_from_arrow_are_the_cells_the_careful_reader_gives(pkg):
    """The worker may get the cells from Arrow before pandas is imported: they must be
    exactly the cells read later, quotes, commas, non-ASCII text and empty tables included."""
    from dprk_relations.model import csvarrow

    _damage(pkg)
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    pkg.set_cell("raw/visits.csv", line, "coding_note", 'He said "yes, at once" — 金正恩')
    header = pkg.rows("raw/sanctions.csv")[0]
    pkg.write_rows("raw/sanctions.csv", [header])
    package = load_package(pkg.root)
    parsed = {name: csvarrow.read(t, package.root) for name, t in package.tables.items()}
    assert all(arrow is not None for _, arrow in parsed.values())  # every file took the fast path
    got = frictionless_engine.arrow_cells(package, {n: arrow for n, (_, arrow) in parsed.items()})
    expected = frictionless_engine.cells(validation.read_tables(package))
    assert got == expected
    assert got["sanctions"] == ([header], [])
    assert any('He said "yes, at once" — 金正恩' in row for row in got["visits"][0])


def _probe(root):
    """validate in a fresh process, saying which function gave the worker its cells."""
    import subprocess
    import sys

    probe = ("import json, sys\n"
             "from dprk_relations.stages import validate as validation\n"
             "from dprk_relations.checks import frictionless_engine as fe\n"
             "calls = []\n"
             "for name in ('cells', 'arrow_cells'):\n"
             "    real = getattr(fe, name)\n"
             "    setattr(fe, name, lambda *a, real=real, name=name: calls.append(name) or real(*a))\n"
             "report = validation.validate(sys.argv[1]).to_dict()\n"
             "print(json.dumps({'calls': calls, 'report': report}))\n")
    out = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_canonical_files_reach_the_worker_before_pandas_and_others_after(pkg):
    _damage(pkg)
    expected = json.loads(json.dumps(validation.validate(pkg.root).to_dict()))
    got = _probe(pkg.root)
    assert got["calls"] == ["arrow_cells"] and got["report"] == expected
    # A file with Windows line ends takes the careful reader: its cells are sent after reading.
    path = pkg.path("raw/actors.csv")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    expected = json.loads(json.dumps(validation.validate(pkg.root).to_dict()))
    got = _probe(pkg.root)
    assert got["calls"] == ["cells"] and got["report"] == expected
    assert any(e["rule"] == "line-ending" for e in got["report"]["problems"])

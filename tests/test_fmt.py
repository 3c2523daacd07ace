"""`fmt` repairs what a spreadsheet does to a file on save, and never a value."""

import csv
import io

from conftest import run_cli
from dprk_relations import fmt, validate


def spreadsheet_save(path):
    """What Excel's 'CSV UTF-8' save does: BOM, CRLF, every cell quoted; plus
    rows re-sorted by another column and an empty trailing row."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    body.sort(key=lambda r: r[-1] + r[1], reverse=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writerow(header)
    w.writerows(body)
    buf.write(",".join([""] * len(header)) + "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def test_fmt_round_trips_a_spreadsheet_saved_file_to_the_canonical_bytes(pkg):
    path = pkg.path("raw/visits.csv")
    canonical = path.read_bytes()
    spreadsheet_save(path)
    assert path.read_bytes() != canonical
    report = validate(pkg.root)
    assert not report.valid and report.form_only
    assert "run `dprk-relations fmt`" in report.to_text()
    out = run_cli("fmt", pkg.root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "rewrote raw/visits.csv" in out.stdout
    assert path.read_bytes() == canonical


def test_fmt_reorders_columns_and_replaces_semicolons(pkg):
    path = pkg.path("raw/events.csv")
    canonical = path.read_bytes()
    rows = pkg.rows("raw/events.csv")
    rows = [r[1:] + r[:1] for r in rows]  # first column moved last
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    rules = {p.rule for p in validate(pkg.root).errors}
    assert rules == {"delimiter", "column-order"}
    fmt(pkg.root)
    assert path.read_bytes() == canonical


def test_fmt_check_changes_nothing_and_says_what_it_would_do(pkg):
    path = pkg.path("raw/aid.csv")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    out = run_cli("fmt", pkg.root, "--check")
    assert out.returncode == 1
    assert "would rewrite raw/aid.csv" in out.stdout
    assert path.read_bytes() == before


def test_fmt_refuses_a_file_whose_repair_would_need_a_guess(pkg):
    path = pkg.path("raw/actors.csv")
    damaged = path.read_bytes().replace(b"Soviet Union", "Sovi\u00e9t Union".encode("cp1252"), 1)
    path.write_bytes(damaged)
    out = run_cli("fmt", pkg.root)
    assert out.returncode == 1
    assert "left raw/actors.csv alone" in out.stderr
    assert path.read_bytes() == damaged


def test_fmt_leaves_values_alone_even_when_they_are_wrong(pkg):
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    pkg.set_cell("raw/visits.csv", line, "location", " Seoul ")
    path = pkg.path("raw/visits.csv")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    fmt(pkg.root)
    assert b" Seoul " in path.read_bytes() and b"\r\n" not in path.read_bytes()
    assert [p.rule for p in validate(pkg.root).errors] == ["whitespace"]


def test_fmt_on_canonical_data_changes_nothing(pkg):
    before = {p: p.read_bytes() for p in pkg.root.rglob("*.csv")}
    result = fmt(pkg.root)
    assert result.changed == [] and result.refused == {}
    assert before == {p: p.read_bytes() for p in pkg.root.rglob("*.csv")}

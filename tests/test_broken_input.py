"""Each kind of broken input fails with the right file, line, column and rule,
exit code 1 and no traceback, in a real process."""

import json

import pytest

from conftest import run_cli


def _dup_key(p):
    rows = p.rows("raw/visits.csv")
    rows.insert(3, list(rows[1]))  # spreadsheet row 4 repeats row 2
    p.write_rows("raw/visits.csv", rows)
    return ("raw/visits.csv", 4, "visit_id", "primary-key")


def _dangling_fk(p):
    line = p.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    p.set_cell("raw/visits.csv", line, "host_id", "korea")
    return ("raw/visits.csv", line, "host_id", "foreign-key")


def _impossible_date(p):
    line = p.find("raw/exchange_rates.csv", "rate_id", "sur-post-1961-official")
    p.set_cell("raw/exchange_rates.csv", line, "valid_from", "1961-02-30")
    return ("raw/exchange_rates.csv", line, "valid_from", "type")


def _impossible_edtf_day(p):
    line = p.find("raw/events.csv", "event_id", "2018-03-11-china-removes-presidential-term-limits")
    p.set_cell("raw/events.csv", line, "date", "2018-02-29")
    return ("raw/events.csv", line, "date", "edtf")


def _bad_edtf(p):
    line = p.find("raw/aid.csv", "aid_id", "1960-chinese-assistance-420m-rubles")
    p.set_cell("raw/aid.csv", line, "date", "1961-1964")
    return ("raw/aid.csv", line, "date", "edtf")


def _end_before_start(p):
    line = p.find("raw/visits.csv", "visit_id", "2018-03-kim-jong-un-china")
    p.set_cell("raw/visits.csv", line, "date", "2018-03-28/2018-03-25")
    return ("raw/visits.csv", line, "date", "date-order")


def _years_reversed(p):
    line = p.find("raw/aid.csv", "aid_id", "1960-chinese-assistance-420m-rubles")
    p.set_cell("raw/aid.csv", line, "year_start", "1965")
    return ("raw/aid.csv", line, "year_end", "date-order")


def _negative_amount(p):
    line = p.find("raw/aid.csv", "aid_id", "1960-soviet-debt-forgiveness-900m-rubles")
    p.set_cell("raw/aid.csv", line, "amount", "-900000000")
    return ("raw/aid.csv", line, "amount", "exclusive-minimum")


def _unknown_category(p):
    line = p.find("raw/visits.csv", "visit_id", "1960-05-kim-il-sung-china-secret")
    p.set_cell("raw/visits.csv", line, "visit_type", "clandestine")
    return ("raw/visits.csv", line, "visit_type", "enum")


def _missing_required(p):
    line = p.find("raw/statements.csv", "statement_id", "china-rejects-visit-first-on-protocol")
    p.set_cell("raw/statements.csv", line, "speaker_id", "")
    return ("raw/statements.csv", line, "speaker_id", "required")


def _uncited_record(p):
    rows = p.rows("raw/citations.csv")
    col = rows[0].index("sanction_id")
    kept = [rows[0]] + [r for r in rows[1:] if r[col] != "china-us-trade-sanctions-cooperation"]
    p.write_rows("raw/citations.csv", kept)
    return ("raw/sanctions.csv", p.find("raw/sanctions.csv", "sanction_id", "china-us-trade-sanctions-cooperation"),
            "sanction_id", "uncited")


def _evidence_not_in_source(p):
    line = p.find("raw/citations.csv", "citation_id", "1960-soviet-debt-forgiveness-900m-rubles-1")
    p.set_cell("raw/citations.csv", line, "evidence", "forgave North Korean debt of 9,000 million rubles")
    return ("raw/citations.csv", line, "evidence", "evidence")


def _formula(p):
    line = p.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    p.set_cell("raw/visits.csv", line, "summary", '=HYPERLINK("http://example.com","Yang")')
    return ("raw/visits.csv", line, "summary", "formula")


def _wrong_header(p):
    rows = p.rows("raw/aid.csv")
    rows[0][rows[0].index("amount")] = "amount_rubles"
    p.write_rows("raw/aid.csv", rows)
    return ("raw/aid.csv", 1, "amount_rubles", "header")


def _extra_column(p):
    rows = p.rows("raw/events.csv")
    rows[0].append("source")
    for r in rows[1:]:
        r.append("x")
    p.write_rows("raw/events.csv", rows)
    return ("raw/events.csv", 1, "source", "header")


def _extra_cell(p):
    rows = p.rows("raw/sanctions.csv")
    rows[2].append("stray")
    p.write_rows("raw/sanctions.csv", rows)
    return ("raw/sanctions.csv", 3, "column %d" % (len(rows[0]) + 1), "extra-cell")


def _bom(p):
    path = p.path("raw/actors.csv")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return ("raw/actors.csv", 1, None, "bom")


def _crlf(p):
    path = p.path("raw/sources.csv")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return ("raw/sources.csv", 1, None, "line-ending")


def _latin1(p):
    line = p.find("raw/actors.csv", "actor_id", "sun")
    p.set_cell("raw/actors.csv", line, "name", "Soviet Union (SSSR)")
    path = p.path("raw/actors.csv")
    path.write_bytes(path.read_bytes().replace(b"Soviet Union (SSSR)", "Sovi\u00e9t Union".encode("cp1252")))
    return ("raw/actors.csv", line, None, "encoding")


CASES = {f.__name__.strip("_"): f for f in [
    _dup_key, _dangling_fk, _impossible_date, _impossible_edtf_day, _bad_edtf, _end_before_start, _years_reversed,
    _negative_amount, _unknown_category, _missing_required, _uncited_record, _evidence_not_in_source, _formula,
    _wrong_header, _extra_column, _extra_cell, _bom, _crlf, _latin1]}


# A few cases run in a real process too: exit code and no traceback as a user sees them.
PROCESS = {"latin1", "bom", "wrong_header", "evidence_not_in_source"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_is_reported_exactly(pkg, source_dirs, case):
    file, line, column, rule = CASES[case](pkg)
    args = ["validate", pkg.root, "--format", "json"]
    for d in source_dirs:
        args += ["--sources", d]
    out = run_cli(*args, process=case in PROCESS)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    report = json.loads(out.stdout)
    hits = [p for p in report["problems"]
            if (p["file"], p["line"], p["rule"]) == (file, line, rule) and (column is None or p["column"] == column)]
    assert hits, json.dumps(report["problems"], indent=1)[:3000]
    assert all(p["message"] and p["fix"] for p in report["problems"])
    # and the text report names the same place and rule, for a human
    text = run_cli(*args[:2], *args[4:]).stdout
    assert f"{file}:{line}" in text and f"[{rule}]" in text


def test_every_error_is_reported_at_once(pkg, source_dirs):
    expected = {CASES[c](pkg)[:4] for c in ("dangling_fk", "negative_amount", "unknown_category", "formula")}
    report = json.loads(run_cli("validate", pkg.root, "--format", "json",
                                *[a for d in source_dirs for a in ("--sources", d)]).stdout)
    found = {(p["file"], p["line"], p["column"], p["rule"]) for p in report["problems"]}
    assert expected <= found


def test_validate_writes_nothing(pkg, source_dirs):
    _negative_amount(pkg)
    before = {p: p.read_bytes() for p in pkg.root.rglob("*") if p.is_file()}
    run_cli("validate", pkg.root)
    after = {p: p.read_bytes() for p in pkg.root.rglob("*") if p.is_file()}
    assert before == after

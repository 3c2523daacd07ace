"""Cross-source rules: sources that disagree on a date must be noted; a sanction
must record the instrument its sources name."""

import json

from dprk_relations import validate

TARGETS = {"visit_id": "date", "aid_id": "date", "sanction_id": "date", "statement_id": "date", "event_id": "date"}


def _declare(pkg, table, decl, field=None):
    path = pkg.path(f"schemas/{table}.json")
    schema = json.loads(path.read_text())
    if field and field["name"] not in [f["name"] for f in schema["fields"]]:
        schema["fields"].append(field)
        pkg.write_rows(f"raw/{table}.csv", [r + ([field["name"]] if i == 0 else [""])
                                            for i, r in enumerate(pkg.rows(f"raw/{table}.csv"))])
    if decl not in schema["x-rules"]:
        schema["x-rules"].append(decl)
    path.write_text(json.dumps(schema, indent=2))


def with_date_claimed(pkg):
    _declare(pkg, "citations", {"rule": "dates-agree", "field": "date_claimed", "targets": TARGETS},
             {"name": "date_claimed", "type": "string", "x-edtf": True, "description": "The date this source gives."})


def errors(pkg):
    return {(p.file, p.line, p.column, p.rule) for p in validate(pkg.root).errors}


def test_sources_that_agree_need_no_note(pkg):
    with_date_claimed(pkg)
    for cid in ("2018-03-kim-jong-un-china-1", "2018-03-kim-jong-un-china-3"):
        pkg.set_cell("raw/citations.csv", pkg.find("raw/citations.csv", "citation_id", cid), "date_claimed",
                     "2018-03-25/2018-03-28")
    assert not any(r == "dates-agree" for *_, r in errors(pkg))


def test_sources_that_disagree_need_a_note_saying_so(pkg):
    with_date_claimed(pkg)
    pkg.set_cell("raw/citations.csv", pkg.find("raw/citations.csv", "citation_id", "2018-03-kim-jong-un-china-1"),
                 "date_claimed", "2018-03-25/2018-03-28")
    pkg.set_cell("raw/citations.csv", pkg.find("raw/citations.csv", "citation_id", "2018-03-kim-jong-un-china-3"),
                 "date_claimed", "2018-03-24")
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-kim-jong-un-china")
    assert ("raw/visits.csv", line, "coding_note", "dates-agree") in errors(pkg)
    pkg.set_cell("raw/visits.csv", line, "coding_note", "The sources disagree on the first day; coded 25 March.")
    assert not any(r == "dates-agree" for *_, r in errors(pkg))


def test_a_less_precise_claim_or_one_day_of_the_visit_is_no_disagreement(pkg):
    with_date_claimed(pkg)
    for cid, claim in (("2018-03-kim-jong-un-china-1", "2018-03"), ("2018-03-kim-jong-un-china-3", "2018-03-26")):
        pkg.set_cell("raw/citations.csv", pkg.find("raw/citations.csv", "citation_id", cid), "date_claimed", claim)
    assert not any(r == "dates-agree" for *_, r in errors(pkg))


def test_a_claimed_date_outside_the_coded_one_is_a_disagreement(pkg):
    with_date_claimed(pkg)
    pkg.set_cell("raw/citations.csv", pkg.find("raw/citations.csv", "citation_id", "2018-03-yang-jiechi-seoul-2"),
                 "date_claimed", "2018-04-02")
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    assert ("raw/visits.csv", line, "coding_note", "dates-agree") in errors(pkg)


def test_a_sanction_records_the_resolution_its_source_names(pkg):
    _declare(pkg, "sanctions", {"rule": "instrument-cited", "field": "instrument", "via": "sanction_id",
                                "pattern": "(?i)resolution\\s+(\\d{3,4})"})
    assert not any(r == "instrument-cited" for *_, r in errors(pkg))
    cid = "china-us-trade-sanctions-cooperation-1"
    line = pkg.find("raw/citations.csv", "citation_id", cid)
    pkg.set_cell("raw/citations.csv", line, "source_id", "facts-md")
    pkg.set_cell("raw/citations.csv", line, "evidence", "China's Ministry of Commerce suspended all coal imports from the DPRK, citing")
    rows = pkg.rows("raw/citations.csv")
    ev = rows[0].index("evidence")
    rows[line - 1][ev] = "resolution 2321: announced 18 Feb 2017, in effect 19 Feb to 31 Dec 2017."
    pkg.write_rows("raw/citations.csv", rows)
    sline = pkg.find("raw/sanctions.csv", "sanction_id", "china-us-trade-sanctions-cooperation")
    assert ("raw/sanctions.csv", sline, "instrument", "instrument-cited") in errors(pkg)
    pkg.set_cell("raw/sanctions.csv", sline, "instrument", "UNSC Resolution 2321")
    assert not any(r == "instrument-cited" for *_, r in errors(pkg))

"""The real raw data passes every check, in both engines, with every quote checked."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dprk_relations import validate
from dprk_relations.model.package import load_package


@pytest.mark.parametrize("engine", ["frictionless", "pandera"])
def test_real_data_is_valid(repo, source_dirs, engine):
    report = validate(repo, sources=source_dirs, engine=engine, strict=True)
    assert report.valid, report.to_text()
    assert report.problems == []


def test_every_quote_of_a_held_text_is_checked(repo, source_dirs):
    """Quotes from web pages whose text is not held cannot be checked, and the
    report says so; every quote of a source with a sha256 is checked."""
    report = validate(repo, sources=source_dirs, strict=True)
    stats = report.stats
    assert stats["evidence_checked"] > 0
    assert stats["evidence_checked"] == stats["evidence_quotes"] - stats["evidence_without_text"]
    assert not [n for n in report.notices if "not in the sources directories" in n]
    cited = {c["source_id"] for c in csv.DictReader(open(repo / "raw/citations.csv", encoding="utf-8"))}
    unheld = {r["source_id"] for r in csv.DictReader(open(repo / "raw/sources.csv", encoding="utf-8"))
              if not r["sha256"] and r["source_id"] in cited}
    # One line says it, whatever the number of web pages; the stats name each one.
    summary = [n for n in report.notices if "whose text is not held" in n]
    assert len(summary) == 1 and f"of {len(unheld)} sources" in summary[0]
    assert set(stats["evidence_unchecked_by_source"]) == unheld
    assert sum(stats["evidence_unchecked_by_source"].values()) == stats["evidence_without_text"]


def test_frictionless_cli_validates_the_descriptor_directly(repo):
    # frictionless' own command, reading raw/*.csv through datapackage.json
    exe = [str(Path(sys.executable).with_name("frictionless"))]
    out = subprocess.run(exe + ["validate", "--json", "datapackage.json"], cwd=repo, capture_output=True, text=True)
    report = json.loads(out.stdout)
    assert report["valid"], out.stdout[:2000]
    assert {t["name"] for t in report["tasks"]} == set(load_package(repo).tables)


def test_every_record_is_cited_and_every_citation_cites_one(repo):
    package = load_package(repo)
    cites = list(csv.DictReader(open(repo / "raw/citations.csv", encoding="utf-8")))
    targets = {"visit_id": "visits", "aid_id": "aid", "sanction_id": "sanctions",
               "statement_id": "statements", "event_id": "events", "office_id": "offices",
               "agreement_id": "agreements"}
    for row in cites:
        assert sum(bool(row[k]) for k in targets) == 1, row["citation_id"]
    for col, table in targets.items():
        pk = package.tables[table].primary_key[0]
        ids = {r[pk] for r in csv.DictReader(open(repo / f"raw/{table}.csv", encoding="utf-8"))}
        assert ids, table
        assert ids <= {r[col] for r in cites}, f"uncited {table}: {ids - {r[col] for r in cites}}"


def test_the_article_figures_are_coded_with_their_uncertainty(repo):
    aid = {r["aid_id"]: r for r in csv.DictReader(open(repo / "raw/aid.csv", encoding="utf-8"))}
    rubles_900 = aid["1960-soviet-debt-forgiveness-900m-rubles"]
    rubles_420 = aid["1960-chinese-assistance-420m-rubles"]
    for r in (rubles_900, rubles_420):
        assert r["currency"] == "SUR" and r["currency_basis"] == "unspecified"
    assert (rubles_900["amount"], rubles_420["amount"]) == ("900000000", "420000000")
    assert rubles_420["year_start"] == "1961" and rubles_420["year_end"] == "1964"
    assert aid["1960-soviet-refusal-of-further-aid"]["status"] == "refused"
    # TIME's dollar figures are kept as their source gives them, and linked so that no one adds them up twice.
    assert aid["1960-10-chinese-loan-usd105m"]["variant_of_id"] == rubles_420["aid_id"]
    assert aid["1960-11-soviet-loan-waived-usd190m"]["part_of_id"] == rubles_900["aid_id"]


def test_kim_jong_uns_first_visit_has_the_checked_dates(repo):
    visits = {r["visit_id"]: r for r in csv.DictReader(open(repo / "raw/visits.csv", encoding="utf-8"))}
    first = visits["2018-03-kim-jong-un-china"]
    assert first["first_visit"] == "true" and first["visitor_office_id"]
    assert first["date"] == "2018-03-25/2018-03-28" and first["location"] == "Beijing"
    statuses = {r["status"] for r in visits.values()}
    assert {"occurred", "invited", "declined", "postponed"} <= statuses
    assert any(r["visit_type"] == "secret" for r in visits.values())
    assert any(r["visit_type"] == "envoy" for r in visits.values())


def test_the_audits_findings_stay_corrected(repo):
    """Release 1.1.0's errors found by the audit (issue 15): each value as corrected."""
    def table(name, key):
        return {r[key]: r for r in csv.DictReader(open(repo / f"raw/{name}.csv", encoding="utf-8"))}
    visits, statements = table("visits", "visit_id"), table("statements", "statement_id")
    sanctions, events = table("sanctions", "sanction_id"), table("events", "event_id")
    declined = visits["xi-jinping-to-dprk-first-declined"]
    assert declined["date"].startswith("[2012-11") and declined["confidence"] == "low"
    assert statements["china-rejects-visit-first-on-protocol"]["date"].startswith("[2012-11")
    assert events["2011-2018-china-south-korea-honeymoon"]["date"].startswith("2012-11")
    assert "china-economic-sanctions-in-force-2018" not in sanctions
    assert sanctions["unsc-resolution-2087"]["measure_type"] == "comprehensive"
    assert "except" in sanctions["unsc-resolution-2270"]["summary"]
    for one_day_within in ("2018-03-kim-jong-un-invited-to-beijing", "xi-jinping-to-dprk-first-declined"):
        assert visits[one_day_within]["date"].startswith("[")
    for one_day_within in ("dprk-demands-chinese-president-visit-first", "china-rejects-visit-first-on-protocol",
                           "china-resents-exclusion-from-summit-diplomacy", "chinese-media-portray-visit-as-victory"):
        assert statements[one_day_within]["date"].startswith("[")
    assert events["2018-03-08-trump-kim-summit-announced"]["actor_id"] == "chung-eui-yong"


def test_no_source_text_is_copied_into_the_project(repo, source_dirs):
    import re

    texts = [p.read_text(encoding="utf-8") for d in source_dirs for p in d.glob("*.txt")]
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s) > 40]
    tracked = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True).stdout.split()
    for rel in tracked:
        try:
            body = (repo / rel).read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        hits = sum(1 for s in sentences if s in body)
        assert hits <= 0.25 * len(sentences), f"{rel} holds {hits} sentences of a source text"



def test_the_tests_sample_is_valid_smaller_and_holds_every_category_value(repo, sample, source_dirs):
    """The tests of behaviour run on sample.py's sample: it must stay valid as the data grows,
    far smaller than the data (the reason it exists), and as varied (every category value)."""
    report = validate(sample, sources=source_dirs, strict=True)
    assert report.valid, report.to_text()
    sizes = {}
    for name, table in load_package(repo).tables.items():
        rows = list(csv.reader(open(repo / table.path, encoding="utf-8", newline="")))
        kept = list(csv.reader(open(sample / table.path, encoding="utf-8", newline="")))
        assert kept[0] == rows[0] and {tuple(r) for r in kept} <= {tuple(r) for r in rows}, name
        for j, field in enumerate(table.fields):
            if field.enum:
                assert {r[j] for r in kept[1:]} == {r[j] for r in rows[1:]}, (name, field.name)
        sizes[name] = (len(kept) - 1, len(rows) - 1)
    assert sum(k for k, _ in sizes.values()) * 2 < sum(n for _, n in sizes.values()), sizes

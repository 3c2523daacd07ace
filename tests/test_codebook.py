"""The codebook documents every field of every table, from the schemas and the data."""

import json

import pytest

from dprk_relations.stages.build import release_tables
from dprk_relations.checks.rules import declared, describe
from dprk_relations.model.package import load_package
from dprk_relations.documents.codebook import CodebookError, codebook


def test_every_field_of_every_table_is_documented(release):
    text = (release / "codebook.md").read_text(encoding="utf-8")
    desc = json.loads((release / "datapackage.json").read_text())
    for res in desc["resources"]:
        if res.get("type") != "table":
            continue
        section = text.split(f"## Table `{res['name']}`", 1)[1].split("\n## ", 1)[0]
        for f in res["schema"]["fields"]:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{f['name']}` |"))
            assert f["description"][:30] in row
        assert f"Rows: " in section


def test_categories_have_labels_and_counts(release):
    text = (release / "codebook.md").read_text(encoding="utf-8")
    assert "Categories of `status`:" in text
    import csv

    declined = sum(r["status"] == "declined" for r in csv.DictReader(open(release / "data/visits.csv", encoding="utf-8")))
    assert declined and f"| `declined` | Requested and declined | {declined} |" in text
    assert "Categories of `confidence` (ordered):" in text


def test_rules_coding_rules_and_coverage_are_in(release):
    text = (release / "codebook.md").read_text(encoding="utf-8")
    assert "`host_id` refers to an actor of type state." in text
    assert "`year_start` is not after `year_end`." in text
    assert "## Coding rules" in text and "**Currency basis.**" in text
    assert "## Coverage" in text and "Not coded:" in text


def test_every_declared_rule_is_one_whole_object_and_every_declaration_reads_in_words(repo):
    rules = declared()
    assert {"evidence", "date-order", "office-held", "first-visit"} <= set(rules)
    for slug, rule in rules.items():  # message, fix, keys, wording and code: all on the one object
        assert rule.title and rule.template and rule.fix and rule.params and rule.describe, slug
        assert rule.check is not None or slug == "evidence", slug  # evidence runs where the texts are
    decls = [d for t in load_package(repo).tables.values() for d in t.rules]
    assert len(decls) > 20
    for d in decls:
        assert describe(d).endswith("."), d


def test_an_undocumented_field_fails_the_build(repo):
    package, tables, _ = release_tables(repo)
    tables["visits"].schema["fields"][1]["description"] = " "
    with pytest.raises(CodebookError, match="visits.visitor_id"):
        codebook({"version": "x"}, tables)


def test_the_visit_counts_follow_the_data(release):
    """The codebook's table of visits by dyad and decade, against a count made here from the CSV files."""
    import csv
    import re

    text = (release / "codebook.md").read_text(encoding="utf-8")
    section = text[text.index("## Visits by dyad, direction and decade"):]
    state = {r["actor_id"]: r["state_id"] for r in csv.DictReader(open(release / "data/actors.csv", encoding="utf-8"))}
    partners = {"chn", "sun", "rus", "kor", "usa"}
    expected = {"leader": 0, "envoy": 0}
    for v in csv.DictReader(open(release / "data/visits.csv", encoding="utf-8")):
        if v["status"] != "occurred":
            continue
        mine, host = state.get(v["visitor_id"]), v["host_id"]
        met = {state.get(m) for m in v["met_ids"].split()}
        if not ((mine == "prk" and (host in partners or met & partners)) or (host == "prk" and mine in partners)):
            continue
        if v["visitor_office_id"]:
            expected["leader"] += 1
        elif v["envoy_of_id"]:
            expected["envoy"] += 1
    totals = [int(t) for t in re.findall(r"^\| all \| both \|.*\| (\d+) \|$", section, flags=re.M)]
    assert totals[:2] == [expected["leader"], expected["envoy"]] and expected["leader"] > 50


def test_a_release_page_shows_its_own_changelog_entry():
    from dprk_relations.documents.page import _changes_section

    log = ("# Changelog\n\n## 2.0.0 (2026-12-02)\n\n- `visits`:\n  - Corrected `x`:\n    - date: `a` → `b`\n\n"
           "## 1.1.0 (2026-11-29)\n\n- older\n")
    html = _changes_section(log, "2.0.0")
    assert "Changes in version 2.0.0" in html and "<code>a</code> → <code>b</code>" in html and "older" not in html
    assert _changes_section(log, "3.0.0") == ""

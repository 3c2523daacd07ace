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


def test_the_visit_counts_follow_the_data(real_release):
    """The codebook's table of visits by dyad and decade, against a count made here from the CSV files."""
    import csv
    import re

    text = (real_release / "codebook.md").read_text(encoding="utf-8")
    section = text[text.index("## Visits by dyad, direction and decade"):]
    state = {r["actor_id"]: r["state_id"] for r in csv.DictReader(open(real_release / "data/actors.csv", encoding="utf-8"))}
    partners = {"chn", "sun", "rus", "kor", "usa"}
    expected = {"leader": 0, "envoy": 0}
    for v in csv.DictReader(open(real_release / "data/visits.csv", encoding="utf-8")):
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


def _read_first(release) -> str:
    text = (release / "codebook.md").read_text(encoding="utf-8")
    return text[text.index("## Read this first"):text.index("## Tables")]


def test_read_this_first_comes_before_the_tables_and_names_every_visit_status(real_release):
    text = (real_release / "codebook.md").read_text(encoding="utf-8")
    assert text.index("Cite as:") < text.index("## Read this first") < text.index("## Tables")
    section = _read_first(real_release)
    schema = json.loads((real_release / "datapackage.json").read_text())
    visits = next(r for r in schema["resources"] if r["name"] == "visits")["schema"]
    statuses = next(f for f in visits["fields"] if f["name"] == "status")["categories"]
    import csv

    rows = list(csv.DictReader(open(real_release / "data/visits.csv", encoding="utf-8")))
    for c in statuses:
        n = sum(r["status"] == c["value"] for r in rows)
        assert f"`{c['value']}` ({c['label']}, {n} row" in section
    for words in ("`d_sort`", "`dyad`", "`direction`", "`part_of_id`", "`variant_of_id`", "`record_table`",
                  "`original_publisher`", "dropna=False"):
        assert words in section, words
    assert "`visits.date`: 2 open starts" in section and "`offices.date`: 11 open ends" in section


def _recipe(release, capsys):
    """Run the codebook's recipe as a reader would: from the release's folder."""
    import os
    import re

    code = re.search(r"```python\n(.*?)```", _read_first(release), flags=re.S).group(1)
    scope: dict = {}
    old = os.getcwd()
    try:
        os.chdir(release)
        exec(compile(code, "recipe", "exec"), scope)
    finally:
        os.chdir(old)
    capsys.readouterr()
    return scope["counts"]


def _leader_table(release) -> dict:
    """The codebook's table of occurred leader-level visits: (partner, direction, decade) -> n."""
    import re

    text = (release / "codebook.md").read_text(encoding="utf-8")
    section = text[text.index("Occurred leader-level visits"):]
    section = section[:section.index("\n\n", section.index("| --- |"))]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    decades = [h.strip() for h in lines[0].strip("|").split("|")][2:-1]
    out = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "all":
            continue
        for d, n in zip(decades, cells[2:-1]):
            if int(n):
                out[(cells[0], cells[1], int(re.sub(r"s$", "", d)))] = int(n)
    return out


def test_the_recipe_gives_the_codebook_table_of_leader_visits(real_release, capsys):
    """The recipe's counts, with the two merges the codebook names, are the table's, cell by cell."""
    counts = _recipe(real_release, capsys)
    assert counts.sum() > 50
    assert counts[("chn_prk", "from-prk", 2010)] == 8 and counts[("prk_sun", "from-prk", 1950)] == 5
    assert counts[("prk_sgp", "from-prk", 2010)] == 1 and counts[("prk_vnm", "from-prk", 2010)] == 1
    partner = {"chn": "China", "sun": "Soviet Union / Russia", "rus": "Soviet Union / Russia",
               "kor": "South Korea", "usa": "United States"}
    section = _read_first(real_release)
    # the summits the codebook says are counted for another state than their dyad's
    moved = {"prk_sgp": "usa", "prk_vnm": "usa"}
    for dyad, state in moved.items():
        assert f"(`{dyad}`, counted for `{state}`)" in section
    got: dict = {}
    for (dyad, direction, decade), n in counts.items():
        other = moved[dyad] if dyad in moved else next(s for s in dyad.split("_") if s != "prk")
        key = (partner[other], {"from-prk": "from North Korea", "to-prk": "to North Korea"}[direction], int(decade))
        got[key] = got.get(key, 0) + int(n)
    assert got == _leader_table(real_release)

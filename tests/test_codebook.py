"""The codebook documents every field of every table, from the schemas and the data."""

import json

import pytest

from datapackage.builder import release_tables
from datapackage.checks.rules import DECLARED, DESCRIBE, ELSEWHERE
from datapackage.codebook import CodebookError, codebook


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
    assert "| `declined` | Requested and declined | 1 |" in text
    assert "Categories of `confidence` (ordered):" in text


def test_rules_coding_rules_and_coverage_are_in(release):
    text = (release / "codebook.md").read_text(encoding="utf-8")
    assert "`host_id` refers to an actor of type state." in text
    assert "`year_start` is not after `year_end`." in text
    assert "## Coding rules" in text and "**Currency basis.**" in text
    assert "## Coverage" in text and "Not coded:" in text


def test_every_rule_can_be_described():
    assert set(DECLARED) | ELSEWHERE == set(DESCRIBE)


def test_an_undocumented_field_fails_the_build(repo):
    package, tables, _ = release_tables(repo)
    tables["visits"].schema["fields"][1]["description"] = " "
    with pytest.raises(CodebookError, match="visits.visitor_id"):
        codebook({"version": "x"}, tables)

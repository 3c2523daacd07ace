"""`diff` finds schema and record changes; `release` enforces the version bump they require."""

import json
import shutil

import pytest

from conftest import Copy, copy_package, run_cli
from dprk_relations.stages.diff import diff
from dprk_relations.stages.release import ReleaseRefused, release


@pytest.fixture(scope="module")
def published_once(tmp_path_factory, sample):
    """The sample released once as 1.0.0; each test changes its own copy."""
    root = copy_package(sample, tmp_path_factory.mktemp("published") / "pkg")
    result = release(root, day="2026-11-29")
    assert result.version == "1.0.0"
    return root


@pytest.fixture
def published(published_once, tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(published_once, root, symlinks=True)
    return Copy(root)


def _schema(pkg, table):
    return json.loads(pkg.path(f"schemas/{table}.json").read_text())


def _save_schema(pkg, table, schema):
    pkg.path(f"schemas/{table}.json").write_text(json.dumps(schema, indent=2) + "\n")


def add_record(pkg):
    rows = pkg.rows("raw/events.csv")
    new = list(rows[1])
    new[0] = "zz-test-event"
    rows.append(new)
    pkg.write_rows("raw/events.csv", rows)
    cites = pkg.rows("raw/citations.csv")
    col = cites[0].index("event_id")
    cite = next(list(r) for r in cites[1:] if r[col] == rows[1][0])
    cite[0] = "zz-test-event-1"
    cite[col] = "zz-test-event"
    cites.append(cite)
    pkg.write_rows("raw/citations.csv", [cites[0]] + sorted(cites[1:]))


def remove_record(pkg):
    line = pkg.find("raw/events.csv", "event_id", "1960-china-famine")
    pkg.delete_row("raw/events.csv", line)
    cites = pkg.rows("raw/citations.csv")
    col = cites[0].index("event_id")
    pkg.write_rows("raw/citations.csv", [r for r in cites if r[col] != "1960-china-famine"])


def correct_value(pkg):
    line = pkg.find("raw/events.csv", "event_id", "1960-china-famine")
    pkg.set_cell("raw/events.csv", line, "confidence", "medium")


def add_field(pkg):
    schema = _schema(pkg, "events")
    schema["fields"].append({"name": "place", "type": "string", "description": "Where it happened."})
    _save_schema(pkg, "events", schema)
    pkg.write_rows("raw/events.csv", [r + (["place"] if i == 0 else [""]) for i, r in enumerate(pkg.rows("raw/events.csv"))])


def remove_field(pkg):
    schema = _schema(pkg, "exchange_rates")
    idx = [f["name"] for f in schema["fields"]].index("locator")
    del schema["fields"][idx]
    _save_schema(pkg, "exchange_rates", schema)
    pkg.write_rows("raw/exchange_rates.csv", [r[:idx] + r[idx + 1:] for r in pkg.rows("raw/exchange_rates.csv")])


def retype_field(pkg):
    schema = _schema(pkg, "exchange_rates")
    f = next(f for f in schema["fields"] if f["name"] == "units_per_usd")
    f["type"] = "string"
    f["constraints"] = {"required": True}
    _save_schema(pkg, "exchange_rates", schema)


def tighten_constraint(pkg):
    schema = _schema(pkg, "events")
    f = next(f for f in schema["fields"] if f["name"] == "summary")
    f["constraints"]["maxLength"] = 900
    _save_schema(pkg, "events", schema)


def loosen_constraint(pkg):
    schema = _schema(pkg, "events")
    f = next(f for f in schema["fields"] if f["name"] == "event_type")
    f["constraints"]["enum"].append("election")
    f["categories"].append({"value": "election", "label": "Election"})
    _save_schema(pkg, "events", schema)


def add_field_with_a_foreign_key(pkg):
    add_field(pkg)
    schema = _schema(pkg, "events")
    schema["fields"][-1]["name"] = "place_id"
    schema["foreignKeys"].append({"fields": ["place_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}})
    _save_schema(pkg, "events", schema)
    rows = pkg.rows("raw/events.csv")
    rows[0][-1] = "place_id"
    pkg.write_rows("raw/events.csv", rows)


def foreign_key_on_an_existing_field(pkg):
    schema = _schema(pkg, "visits")
    schema["foreignKeys"].append({"fields": ["location"], "reference": {"resource": "actors", "fields": ["actor_id"]}})
    _save_schema(pkg, "visits", schema)
    for line in range(2, len(pkg.rows("raw/visits.csv")) + 1):
        pkg.set_cell("raw/visits.csv", line, "location", "")


def add_a_rule(pkg):
    schema = _schema(pkg, "events")
    schema["x-rules"].append({"rule": "actor-type", "field": "counterpart_id",
                              "types": ["state", "person", "organization", "media"]})
    _save_schema(pkg, "events", schema)


def metadata_only(pkg):
    desc = json.loads(pkg.path("datapackage.json").read_text())
    desc["title"] += " (corrected title)"
    pkg.path("datapackage.json").write_text(json.dumps(desc, indent=2) + "\n")


CHANGES = {
    add_record: "minor", remove_record: "major", correct_value: "patch", add_field: "minor",
    remove_field: "major", retype_field: "major", tighten_constraint: "major", loosen_constraint: "minor",
    metadata_only: "patch", add_field_with_a_foreign_key: "minor", foreign_key_on_an_existing_field: "major",
    add_a_rule: "minor",
}


@pytest.mark.parametrize("change", list(CHANGES), ids=lambda f: f.__name__)
def test_each_kind_of_change_gets_the_right_bump(published, change):
    """The diff a release makes (diff()'s own, see test_diff_reads_zips_and_release_directories)
    decides the bump; a smaller one is refused."""
    change(published)
    smaller = {"major": "minor", "minor": "patch"}.get(CHANGES[change])
    if smaller:
        with pytest.raises(ReleaseRefused, match=f"require {CHANGES[change]}"):
            release(published.root, bump=smaller, day="2026-12-01")
    result = release(published.root, day="2026-12-01")
    assert result.bump == result.diff.bump == CHANGES[change], result.diff.to_text()
    expected = {"major": "2.0.0", "minor": "1.1.0", "patch": "1.0.1"}[CHANGES[change]]
    assert result.version == expected
    assert (published.root / "build" / expected).is_dir() and (published.root / "build" / "1.0.0").is_dir()


def test_release_writes_changelog_version_citation_and_a_reproducible_build(published):
    add_record(published)
    correct_value(published)
    notes = published.root.parent / "notes.md"
    notes.write_text("Precision now describes the whole span.\n", encoding="utf-8")
    out = run_cli("release", "--package-dir", published.root, "--date", "2026-12-01", "--notes", notes)
    assert out.returncode == 0, out.stderr
    assert "released 1.1.0 (minor)" in out.stdout
    desc = json.loads(published.path("datapackage.json").read_text())
    assert desc["version"] == "1.1.0" and desc["created"] == "2026-12-01T00:00:00Z"
    changelog = published.path("CHANGELOG.md").read_text()
    assert changelog.index("## 1.1.0 (2026-12-01)") < changelog.index("## 1.0.0 (2026-11-29)")
    # The maintainers' notes come first in the entry, above what the diff says.
    assert "## 1.1.0 (2026-12-01)\n\nPrecision now describes the whole span.\n\n- " in changelog
    assert "`zz-test-event`" in changelog and "`1960-china-famine`" in changelog
    cff = published.path("CITATION.cff").read_text()
    assert 'version: "1.1.0"' in cff and 'date-released: "2026-12-01"' in cff
    assert (published.root / "build/1.1.0/CHANGELOG.md").read_text() == changelog
    again = run_cli("build", published.root)
    assert "reproduced 1.1.0 exactly" in again.stdout


def test_release_refuses_when_nothing_changed_and_never_overwrites(published):
    with pytest.raises(ReleaseRefused, match="nothing has changed"):
        release(published.root, day="2026-12-01")
    out = run_cli("release", "patch", "--package-dir", published.root)
    assert out.returncode == 1 and "release refused" in out.stderr


def test_release_refuses_invalid_data(published):
    line = published.find("raw/events.csv", "event_id", "1960-china-famine")
    published.set_cell("raw/events.csv", line, "date", "1960-13")
    with pytest.raises(ReleaseRefused, match="not valid"):
        release(published.root, day="2026-12-01")
    assert json.loads(published.path("datapackage.json").read_text())["version"] == "1.0.0"


def test_diff_formats(published):
    add_field(published)
    correct_value(published)
    rel = published.root / "build" / "1.0.0"
    text = run_cli("diff", rel, published.root).stdout
    assert "field 'place' added" in text and "confidence: 'low' -> 'medium'" in text
    md = run_cli("diff", rel, published.root, "--format", "markdown").stdout
    # Errata: the corrected record, then each corrected field with its old and new value, whole.
    assert md.startswith("## 1.0.0") and "  - Corrected `1960-china-famine`:\n    - confidence: `low` → `medium`\n" in md
    data = json.loads(run_cli("diff", rel, published.root, "--format", "json").stdout)
    assert data["bump"] == "minor"
    assert data["tables"]["events"]["changed"]["1960-china-famine"]["confidence"] == ["low", "medium"]


def test_the_changelog_keeps_corrections_apart_from_additions_and_note_revisions(published):
    correct_value(published)
    line = published.find("raw/events.csv", "event_id", "1960-sino-soviet-split-deepens")
    long_summary = "The split deepens " + "and deepens " * 20 + "(a `quoted` word)."
    published.set_cell("raw/events.csv", line, "summary", long_summary)
    line = published.find("raw/events.csv", "event_id", "1961-01-01-soviet-ruble-redenomination")
    published.set_cell("raw/events.csv", line, "coding_note", "Revised note only.")
    md = diff(published.root / "build" / "1.0.0", published.root).to_markdown()
    assert "  - Corrected `1960-china-famine`:\n    - confidence: `low` → `medium`\n" in md
    assert "    - summary: `The Sino-Soviet split deepens, and North Korea" in md and f"→ ``{long_summary}``" in md
    assert "  - Coding notes revised, no value changed (1): `1961-01-01-soviet-ruble-redenomination`." in md
    assert "Corrected `1961-01-01-soviet-ruble-redenomination`" not in md


def test_diff_reads_zips_and_release_directories(published):
    correct_value(published)
    made = release(published.root, day="2026-12-01")
    old = published.root / "build/1.0.0/dprk-relations-1.0.0.zip"
    new = published.root / "build/1.0.1"
    d = diff(old, new)
    assert d.summary() == "events ~1" and d.bump == "patch"
    assert (made.diff.summary(), made.diff.bump) == (d.summary(), d.bump)  # what release decided on
    assert diff(new, published.root).summary() == "no changes"


def _with_registry(pkg, versions=None):
    """Give the copy the registry a checkout has, listing ``versions``."""
    from dprk_relations.access import registry

    reg = registry.Registry(None, registry.DEFAULT_PATTERN, versions or {})
    path = registry.in_package_dir(pkg.root)
    path.parent.mkdir()
    path.write_bytes(reg.to_bytes())
    return path


def test_release_adds_the_version_to_the_registry_and_keeps_zenodo_and_citation_in_step(pkg):
    import hashlib

    from dprk_relations.documents import citation
    from dprk_relations.access import registry

    path = _with_registry(pkg)
    first = release(pkg.root, day="2026-11-29")
    add_record(pkg)
    second = release(pkg.root, day="2026-12-01")
    assert (first.version, second.version) == ("1.0.0", "1.1.0")
    assert path in second.repo_files and pkg.root / ".zenodo.json" in second.repo_files
    reg = registry.read(path)
    assert reg.known() == ["1.0.0", "1.1.0"] and reg.base_url is None
    for version in reg.known():
        data = (pkg.root / "build" / version / f"dprk-relations-{version}.zip").read_bytes()
        assert reg.versions[version] == {"archive": f"dprk-relations-{version}.zip", "bytes": len(data),
                                         "sha256": hashlib.sha256(data).hexdigest()}
    desc = json.loads(pkg.path("datapackage.json").read_text())
    zenodo = json.loads(pkg.path(".zenodo.json").read_text())
    assert pkg.path(".zenodo.json").read_text() == citation.zenodo_json(desc)
    assert pkg.path("CITATION.cff").read_text() == citation.citation_cff(desc)
    assert (zenodo["version"], zenodo["publication_date"]) == ("1.1.0", "2026-12-01") == (
        desc["version"], desc["created"][:10])
    assert zenodo["title"] == desc["title"] and zenodo["license"] == "cc-by-4.0"


def test_release_refuses_a_version_the_registry_lists_with_another_archive(pkg):
    _with_registry(pkg, {"1.0.0": {"archive": "dprk-relations-1.0.0.zip", "bytes": 10, "sha256": "0" * 64}})
    before = {p.relative_to(pkg.root): p.read_bytes() for p in pkg.root.rglob("*") if p.is_file()}
    with pytest.raises(ReleaseRefused, match="1.0.0 is already in the registry with another archive"):
        release(pkg.root, day="2026-11-29")
    after = {p.relative_to(pkg.root): p.read_bytes() for p in pkg.root.rglob("*") if p.is_file()}
    assert after == before  # nothing written: no datapackage.json, CITATION.cff, .zenodo.json or build/

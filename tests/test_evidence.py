"""Evidence quotes are checked against the source texts, found by their sha256."""

import shutil

from dprk_relations import validate


def test_without_texts_the_report_says_evidence_was_not_checked(pkg, monkeypatch):
    monkeypatch.delenv("DPRK_RELATIONS_SOURCES", raising=False)
    report = validate(pkg.root)
    assert report.valid
    assert any("evidence NOT checked" in n for n in report.notices)
    assert "evidence NOT checked" in report.to_text()
    assert report.stats["evidence_checked"] == 0


def test_strict_without_any_sources_directory_is_an_error(pkg, monkeypatch):
    # A release is strict by default: it must not go out with every quote unchecked.
    monkeypatch.delenv("DPRK_RELATIONS_SOURCES", raising=False)
    report = validate(pkg.root, strict=True)
    assert not report.valid
    [p] = report.errors
    assert p.rule == "source-text-missing" and "no sources directory given" in p.message


def test_environment_variable_points_at_the_texts(pkg, source_dirs, monkeypatch):
    import os

    monkeypatch.setenv("DPRK_RELATIONS_SOURCES", os.pathsep.join(map(str, source_dirs)))
    report = validate(pkg.root, strict=True)
    stats = report.stats
    assert report.valid and stats["evidence_checked"] == stats["evidence_quotes"] - stats["evidence_without_text"] > 0


def test_a_misquote_shows_the_closest_passage(pkg, source_dirs):
    line = pkg.find("raw/citations.csv", "citation_id", "2018-03-yang-jiechi-seoul-1")
    pkg.set_cell("raw/citations.csv", line, "evidence",
                 "President Xi's special envoy, politburo member Yang Jiechi, has been dispatched to visit Seoul")
    report = validate(pkg.root, sources=source_dirs)
    [p] = [p for p in report.errors if p.rule == "evidence"]
    assert (p.file, p.line, p.column) == ("raw/citations.csv", line, "evidence")
    assert "President Xi\u2019s special envoy" in p.message  # the source's apostrophe
    assert "differs only in quotation marks" in p.message


def test_missing_text_is_a_notice_by_default_and_an_error_when_strict(pkg, source_dirs):
    report = validate(pkg.root, sources=[source_dirs[0]])
    assert report.valid
    assert any("facts-md" in n and "NOT checked" in n for n in report.notices)
    strict = validate(pkg.root, sources=[source_dirs[0]], strict=True)
    [p] = [p for p in strict.errors if p.rule == "source-text-missing"]
    assert p.file == "raw/sources.csv" and p.column == "sha256"
    assert p.line == pkg.find("raw/sources.csv", "source_id", "facts-md")


def test_a_changed_text_is_an_error(pkg, source_dirs, tmp_path):
    texts = tmp_path / "texts"
    shutil.copytree(source_dirs[0], texts)
    target = texts / "sun-2018-kim-jong-un-goes-to-china.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = validate(pkg.root, sources=[texts, source_dirs[1]])
    [p] = [p for p in report.errors if p.rule == "source-text-changed"]
    assert p.line == pkg.find("raw/sources.csv", "source_id", "sun-2018-kim-jong-un-goes-to-china")


def test_the_texts_are_found_by_hash_not_by_name(pkg, source_dirs, tmp_path):
    texts = tmp_path / "renamed"
    texts.mkdir()
    for d in source_dirs:
        for f in d.iterdir():
            if f.is_file():
                shutil.copy(f, texts / ("copy-of-" + f.name))
    report = validate(pkg.root, sources=[texts], strict=True)
    assert report.valid, report.to_text()

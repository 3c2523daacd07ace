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


# -- the index that finds many quotes at once -----------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dprk_relations.checks.evidence import TextIndex  # noqa: E402
import numpy as np  # noqa: E402

_CHARS = st.sampled_from(list("ab \u00e9\u4e2d\n") + ["ab ab"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_CHARS, min_size=1, max_size=80).map("".join), st.lists(st.lists(_CHARS, max_size=12).map("".join),
                                                                        max_size=20), st.integers(1, 12), st.data())
def test_the_text_index_finds_exactly_the_quotes_python_finds(text, others, window, data):
    # Quotes cut from the text (found), and strings made up (mostly not). A small
    # window sends most quotes through the hashed, byte-for-byte path, and this
    # alphabet makes windows repeat, which sends the others to bytes.find.
    cuts = [text[i:j] for i, j in data.draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))),
                                                    max_size=20)) if i < j]
    quotes = cuts + others + [text + "a", text, text[-1:] + "\x00", ""]
    index = TextIndex(text, window=window)
    assert (index.keys is not None) == (len(text.encode("utf-8")) >= window)
    assert index.contains(quotes).tolist() == [q in text for q in quotes]
    import pyarrow as pa  # pandas keeps strings as large_string: 64-bit offsets

    assert index.contains(pa.array(quotes, pa.large_string())).tolist() == [q in text for q in quotes]
    rows = data.draw(st.lists(st.integers(0, len(quotes) - 1), max_size=10))  # some rows of a column, in place
    column = pa.chunked_array([pa.array(quotes[:2], pa.large_string()), pa.array(quotes[2:], pa.large_string())])
    assert index.contains(column, rows).tolist() == [quotes[i] in text for i in rows]


def test_most_quotes_are_decided_by_the_hashed_path():
    """The index is only worth having if quotes rarely fall back to bytes.find:
    in a text without repeated passages, none of the long quotes should."""
    import random

    rng = random.Random(7)
    text = " ".join(f"{rng.choice(['aid', 'visit', 'loan', 'treaty'])}{rng.randrange(10**6)}" for _ in range(3000))
    cuts = [text[i:i + rng.randrange(32, 200)] for i in (rng.randrange(len(text) - 200) for _ in range(400))]
    index = TextIndex(text)
    found = []
    real_find = index.data.find

    class Counting(bytes):
        def find(self, sub, *args):
            found.append(sub)
            return real_find(sub, *args)

    index.data = Counting(index.data)
    assert index.contains(cuts + [c + "#" for c in cuts]).tolist() == [True] * 400 + [False] * 400
    assert found == []


def test_quotes_whose_first_32_bytes_begin_several_places_are_found():
    # Both passages start with the same 40 bytes; only the full key tells them apart.
    text = "x" * 40 + "A middle " + "x" * 40 + "B end"
    quotes = ["x" * 40 + "B", "x" * 40 + "A", "x" * 40 + "C", "x" * 40 + "B end" + "!", ("x" * 40 + "B end")]
    assert TextIndex(text).contains(quotes).tolist() == [q in text for q in quotes]


def test_quotes_longer_than_the_key_are_confirmed_to_their_last_byte():
    words = " ".join(f"w{i}" for i in range(120))  # about 500 bytes, no 32-byte run repeats
    block = "the same long passage, repeated word for word, " * 5  # 240 bytes, twice below
    text = words + " | " + block + "ends one way. " + block + "ends another way."
    quotes = [words[10:400], words[10:400] + "zz", words[10:200] + "X" + words[201:400],
              block + "ends another way.", block + "ends a third way.", block + "ends one way."]
    assert TextIndex(text).contains(quotes).tolist() == [q in text for q in quotes] == [
        True, False, False, True, False, True]


def test_a_window_the_text_repeats_many_times_is_still_decided_exactly():
    # "x" * 32 begins 69 places: more than are compared one by one, so bytes.find decides.
    text = "x" * 100 + "B end"
    index = TextIndex(text)
    assert np.unique(index.keys, return_counts=True)[1].max() > TextIndex.CANDIDATES
    quotes = ["x" * 40 + "B", "x" * 40 + "C", "x" * 96 + "B end", "x" * 101, "x" * 100]
    assert index.contains(quotes).tolist() == [q in text for q in quotes] == [True, False, True, False, True]

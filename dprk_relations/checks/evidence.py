"""Evidence quotes against the source texts they were copied from.

A source row records the sha256 of the exact text that was coded; the text
itself stays outside the project, in one or more sources directories. Every
file there is hashed, and each quote must be an exact substring of the text
with its source's hash.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import unicodedata
from pathlib import Path

import numpy as np

from dprk_relations.model.problems import declare, problem
from dprk_relations.checks.typed import Typed

ENV_VAR = "DPRK_RELATIONS_SOURCES"

# Declared in schemas like the rules of .rules; run here, where the source texts are.
EVIDENCE = declare(
    "evidence", "Evidence not in source",
    "the evidence is not a verbatim passage of source {expected}. Closest passage: {detail}",
    "Copy the passage from the source exactly (typographic quotes and apostrophes included).",
    family="evidence", params={"field": "field", "?source": "field"},
    describe=lambda d: f"`{d['field']}` is a verbatim passage of the text of the source in "
                       f"`{d.get('source', 'source_id')}`, checked against that text's sha256.",
    cross=lambda t, d, tables: ["the sources table has no field 'source_id'"]
    if "sources" in tables and "source_id" not in tables["sources"].field_names else [])

MAX_TEXT_BYTES = 50 * 1024 * 1024


def source_dirs(given=None) -> list[Path]:
    """Directories from the option, else from the environment variable."""
    if given:
        dirs = [given] if isinstance(given, (str, Path)) else list(given)
    else:
        env = os.environ.get(ENV_VAR, "")
        dirs = [d for d in env.split(os.pathsep) if d]
    return [Path(d) for d in dirs]


def index_texts(dirs: list[Path]) -> tuple[dict[str, Path], dict[str, Path]]:
    """(sha256 -> path, file name -> path) for every file in the directories."""
    by_hash, by_name = {}, {}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.rglob("*")):
            if not path.is_file() or path.stat().st_size > MAX_TEXT_BYTES:
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            by_hash.setdefault(digest, path)
            by_name.setdefault(path.name, path)
    return by_hash, by_name


def _normal(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-"), ("\u2014", "-")):
        s = s.replace(a, b)
    return " ".join(s.split())


def closest_passage(text: str, quote: str) -> str:
    """The passage of ``text`` most like ``quote``, for a coder to compare."""
    if not quote:
        return ""
    n = len(quote)
    step = max(1, n // 4)
    best, best_at = -1.0, 0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    for start in range(0, max(1, len(text) - n + 1), step):
        matcher.set_seq1(text[start:start + n])
        if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
            continue
        r = matcher.ratio()
        if r > best:
            best, best_at = r, start
    lo, hi = best_at, best_at + n
    for start in range(max(0, best_at - step), min(len(text) - n, best_at + step) + 1):
        matcher.set_seq1(text[start:start + n])
        r = matcher.ratio()
        if r > best:
            best, lo, hi = r, start, start + n
    return text[lo:hi].strip()


def check(tables: dict[str, Typed], given_dirs=None, strict: bool = False) -> tuple[list, list[str], dict]:
    """Problems, notices and counts for every declared evidence rule."""
    decls = [(t, d) for t in tables.values() for d in t.table.rules if d.get("rule") == "evidence"]
    sources = tables.get("sources")
    stats = {"quotes": 0, "checked": 0, "unheld": 0}
    if not decls or sources is None:
        return [], [], stats
    dirs = source_dirs(given_dirs)
    problems, notices = [], []
    # A repeated key is reported by the primary-key check; here the first row stands.
    sframe = sources.frame.drop_duplicates("source_id").set_index("source_id")
    if not dirs:
        total = sum(int((~t.cast(d["field"]).missing).sum()) for t, d in decls)
        where = f"no sources directory given (--sources DIR or {ENV_VAR})"
        if strict and total:  # strict promises that no quote goes out unchecked
            problems.append(problem("source-text-missing", detail=f"{where}: strict mode checks every quote "
                                                                  f"against its source text, and {total} are unchecked"))
        else:
            notices.append(f"evidence NOT checked: {where}; {total} quotes unverified")
        stats["quotes"] = total
        return problems, notices, stats
    for d in dirs:
        if not d.is_dir():
            problems.append(problem("source-text-missing", file=str(d),
                                    detail=f"sources directory {str(d)!r} does not exist"))
    by_hash, by_name = index_texts(dirs)
    texts: dict[str, str | None] = {}
    unchecked: dict[str, int] = {}
    first_line = dict(zip(sources.frame["source_id"].tolist()[::-1], sources.lines[::-1]))
    rows_of = {sid: row for sid, row in zip(sframe.index, sframe.to_dict("records"))}
    for sid, row in rows_of.items():
        digest = str(row.get("sha256", "") or "")
        name = str(row.get("text_file", "") or "")
        line = first_line[sid]
        if not digest:
            texts[sid] = None
            continue
        if digest in by_hash:
            texts[sid] = by_hash[digest].read_bytes().decode("utf-8", errors="replace")
            continue
        texts[sid] = None
        if name and name in by_name:
            actual = hashlib.sha256(by_name[name].read_bytes()).hexdigest()
            problems.append(problem("source-text-changed", file=sources.table.path, line=line, column="sha256",
                                    value=digest, detail=(f"{by_name[name]} has sha256 {actual}, not the {digest} "
                                                          f"recorded for source {sid!r}: the text changed after coding")))
        elif strict:
            problems.append(problem("source-text-missing", file=sources.table.path, line=line, column="sha256",
                                    value=digest, detail=(f"no file in {', '.join(map(str, dirs))} has the sha256 "
                                                          f"recorded for source {sid!r}" +
                                                          (f" (expected file {name})" if name else ""))))
    unheld = {sid for sid, row in rows_of.items() if not str(row.get("sha256", "") or "")}
    for t, decl in decls:
        field, src_field = decl["field"], decl.get("source", "source_id")
        present = ~t.cast(field).missing & ~t.cast(src_field).missing
        srcs, quotes = t.cells(src_field), t.cells(field)
        stats["quotes"] += int(present.sum())
        by_source: dict[str, list[int]] = {}
        for i in np.flatnonzero(present).tolist():
            by_source.setdefault(srcs[i], []).append(i)
        for sid, rows in by_source.items():
            text = texts.get(sid)
            if text is None:
                unchecked[sid] = unchecked.get(sid, 0) + len(rows)
                stats["unheld"] += len(rows) if sid in unheld else 0
                continue
            stats["checked"] += len(rows)
            for i in rows:
                quote = quotes[i]
                if quote in text:
                    continue
                near = closest_passage(text, quote)
                hint = ""
                if _normal(quote) in _normal(text):
                    hint = " (the quote differs only in quotation marks, dashes or spacing)"
                problems.append(problem("evidence", file=t.table.path, line=t.lines[i], column=field,
                                        value=quote[:80] + ("..." if len(quote) > 80 else ""),
                                        expected=repr(sid), detail=f"{near!r}{hint}"))
    # Web pages are cited without their text, by design: one line says how many of their quotes went
    # unchecked (the list is in the stats, and behind --list-unchecked). A text that should be held
    # but was not found is named, source by source: that one a maintainer can act on.
    unheld_sources = {}
    for sid, n in sorted(unchecked.items()):
        if sid in unheld:
            unheld_sources[sid] = n
        else:
            notices.append(f"evidence NOT checked for {n} quote{'s' if n != 1 else ''} of source {sid!r}: "
                           f"its text is not in the sources directories")
    if unheld_sources:
        total = sum(unheld_sources.values())
        notices.insert(0, f"evidence not machine-checked for {total} quote{'s' if total != 1 else ''} of "
                          f"{len(unheld_sources)} source{'s' if len(unheld_sources) != 1 else ''} whose text is not "
                          f"held (web pages, cited with short passages: expected; --list-unchecked names them)")
    stats["unheld_by_source"] = unheld_sources
    return problems, notices, stats

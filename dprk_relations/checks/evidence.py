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
import pandas as pd

from dprk_relations.model import arrowstr
from dprk_relations.model.problems import problem
from dprk_relations.checks.typed import Typed

ENV_VAR = "DPRK_RELATIONS_SOURCES"
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


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _window_hashes(buf: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """A 64-bit hash of the ``window`` bytes at each of ``starts`` in ``buf`` (uint8,
    padded with 8 bytes past its end), read eight bytes at a time: no copy of the windows."""
    h = np.full(len(starts), np.uint64(window), dtype=np.uint64)
    for j in range(0, window, 8):
        word = _words(buf, starts + j)
        if window - j < 8:
            word &= np.uint64((1 << (8 * (window - j))) - 1)
        h ^= word
        h *= _MIX
        h ^= h >> np.uint64(32)
    return h


_LOW_BYTES = np.array([(1 << (8 * r)) - 1 for r in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def _words(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 8 bytes at each of ``at`` in ``buf`` (padded with 8 bytes past its end), as uint64."""
    # A uint64 at every byte offset: unaligned, no copy; gathering from it is twice as fast as from rows of 8 bytes.
    return np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))[at]


def _same_bytes(text: np.ndarray, at: np.ndarray, quotes: np.ndarray, starts: np.ndarray,
                lengths: np.ndarray) -> np.ndarray:
    """text[at[i]:at[i] + lengths[i]] == quotes[starts[i]:starts[i] + lengths[i]] for every i
    (all lengths >= 1, every slice inside its buffer, both buffers padded with 8 bytes),
    compared eight bytes at a time, in blocks."""
    out = np.zeros(len(at), dtype=bool)
    words = (lengths + 7) // 8
    ends = np.cumsum(words)
    block = 1 << 20  # words compared at once: bounds the index arrays to some 50 MB
    first = 0
    while first < len(at):
        last = max(int(np.searchsorted(ends, (ends[first - 1] if first else 0) + block, side="right")), first + 1)
        n = words[first:last]
        seg = np.cumsum(n) - n
        offset = 8 * (np.arange(int(n.sum()), dtype=np.int64) - np.repeat(seg, n))
        left = np.repeat(lengths[first:last], n) - offset  # bytes of the quote from this word on
        differ = (_words(quotes, np.repeat(starts[first:last], n) + offset)
                  ^ _words(text, np.repeat(at[first:last], n) + offset)) & _LOW_BYTES[np.minimum(left, 8)]
        out[first:last] = np.logical_or.reduceat(differ != 0, seg) == 0
        first = last
    return out


class TextIndex:
    """Find many quotes in one text at once.

    Every byte position of the UTF-8 text is keyed by a 64-bit hash of the
    ``window`` bytes that start there, and the keys are sorted once. A quote
    is looked up by the hash of its first ``window`` bytes (numpy's
    searchsorted on integers, all quotes at once): where that hash belongs to
    one position only, the quote can only start there, and is compared with
    the text byte for byte, all quotes at once. A quote whose hash several
    positions share (the text repeats a passage, or two hashes collide), or
    that is shorter than the window, is looked for by Python's bytes.find. So
    the answer is always exact; the hash only picks where to look. A byte match
    is a character match: in UTF-8 a continuation byte never equals the first
    byte of a character.
    """

    WINDOW = 32
    CANDIDATES = 16  # a quote whose window the text repeats more often goes to bytes.find
    MAX_BYTES = 16 * 1024 * 1024  # longer texts: bytes.find per quote (the table takes 16 bytes a position)

    def __init__(self, text: str, window: int = WINDOW):
        self.text = text
        self.data = text.encode("utf-8")
        self.window = window
        self.keys = self.pos = None
        n = len(self.data)
        if window <= n <= self.MAX_BYTES:
            self._buf = np.frombuffer(self.data + bytes(8), dtype=np.uint8)
            hashes = _window_hashes(self._buf, np.arange(n - window + 1, dtype=np.int64), window)
            self.pos = np.argsort(hashes, kind="stable")
            self.keys = hashes[self.pos]

    def _places(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each hash: where its positions begin among the sorted keys, and how many there are."""
        # Sorted needles let searchsorted walk the keys in order, not jump about them.
        order = np.argsort(h, kind="stable")
        lo = np.empty_like(order)
        lo[order] = np.searchsorted(self.keys, h[order], side="left")
        last = len(self.keys) - 1
        present = (lo <= last) & (self.keys[np.minimum(lo, last)] == h)
        several = np.flatnonzero(present & (lo < last) & (self.keys[np.minimum(lo + 1, last)] == h))
        hi = lo + present
        hi[several] = np.searchsorted(self.keys, h[several], side="right")  # a repeated window: find its end
        return lo, hi - lo

    def contains(self, quotes, rows=None) -> np.ndarray:
        """For each quote (a list of str, or an Arrow string array; only the ``rows``
        of it, if given): is it in the text? The quotes are read where they lie: no copy."""
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = quotes if isinstance(quotes, (pa.Array, pa.ChunkedArray)) else pa.array(list(quotes), type=pa.string())
        binary = pc.cast(arr, pa.large_binary() if pa.types.is_large_string(arr.type) else pa.binary())
        binary = binary.combine_chunks() if isinstance(binary, pa.ChunkedArray) else binary
        rows = np.arange(len(binary)) if rows is None else np.asarray(rows, dtype=np.int64)
        found = np.zeros(len(rows), dtype=bool)
        if len(rows) == 0:
            return found
        data = binary.buffers()[2]
        bounds = arrowstr.offsets(binary).astype(np.int64)
        starts = bounds[rows]
        lengths = bounds[rows + 1] - starts
        slow = np.ones(len(rows), dtype=bool)
        if self.keys is not None:
            quick = np.flatnonzero(lengths >= self.window)
            if len(quick):
                qbuf = np.frombuffer(data, dtype=np.uint8, count=int((starts[quick] + lengths[quick]).max()))
                qbuf = np.concatenate([qbuf, np.zeros(8, dtype=np.uint8)])
                lo, many = self._places(_window_hashes(qbuf, starts[quick], self.window))
                # A passage the text repeats a few times: each place is compared; more: bytes.find.
                listed = np.flatnonzero((many >= 1) & (many <= self.CANDIDATES))
                quote_of = np.repeat(listed, many[listed])
                first = np.cumsum(many[listed]) - many[listed]
                at = self.pos[np.repeat(lo[listed], many[listed]) + np.arange(len(quote_of)) - np.repeat(first, many[listed])]
                q = quick[quote_of]
                fits = at + lengths[q] <= len(self.data)
                same = np.zeros(len(q), dtype=bool)
                same[fits] = _same_bytes(self._buf, at[fits], qbuf, starts[q[fits]], lengths[q[fits]])
                if len(q):
                    found[quick[listed]] = np.logical_or.reduceat(same, first)
                slow[quick] = many > self.CANDIDATES
        rest = np.flatnonzero(slow)
        if len(rest):
            found[rest] = [q is not None and self.data.find(q) >= 0
                           for q in binary.take(pa.array(rows[rest])).to_pylist()]
        return found


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
    for sid in sframe.index:
        row = sframe.loc[sid]
        digest = str(row.get("sha256", "") or "")
        name = str(row.get("text_file", "") or "")
        line = sources.lines[int(np.flatnonzero(sources.frame["source_id"].to_numpy() == sid)[0])]
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
    indexes: dict[str, TextIndex] = {}
    unheld = {sid for sid in sframe.index if not str(sframe.loc[sid].get("sha256", "") or "")}
    for t, decl in decls:
        field, src_field = decl["field"], decl.get("source", "source_id")
        present = ~t.cast(field).missing & ~t.cast(src_field).missing
        srcs = t.frame[src_field]
        quotes = arrowstr.cells(t.frame[field]).combine_chunks()  # once: each source reads its rows in place
        stats["quotes"] += int(present.sum())
        # The rows of each source, in order of first appearance: grouped in one pass, not
        # one comparison of the whole column per source (a million rows, dozens of sources).
        picked = np.flatnonzero(present)
        codes, sids = pd.factorize(srcs.iloc[picked])
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(sids) + 1))
        for k, sid in enumerate(sids):
            rows = picked[order[bounds[k]:bounds[k + 1]]]
            text = texts.get(sid)
            if text is None:
                unchecked[sid] = unchecked.get(sid, 0) + len(rows)
                stats["unheld"] += len(rows) if sid in unheld else 0
                continue
            stats["checked"] += len(rows)
            index = indexes.get(sid) or indexes.setdefault(sid, TextIndex(text))
            found = index.contains(quotes, rows)
            for i in rows[~found]:
                quote = t.frame[field].iat[i]
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
        if sid in texts and not str(sframe.loc[sid].get("sha256", "") or ""):
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

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

from ..problems import problem
from .typed import Typed

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


def _starts_with(keys: np.ndarray, heads: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """keys[i] begins with the first lengths[i] bytes of heads[i] (both S<w> arrays), in blocks."""
    w = keys.dtype.itemsize
    cols = np.arange(w)
    out = np.empty(len(keys), dtype=bool)
    for s in range(0, len(keys), 1 << 16):
        a = keys[s:s + (1 << 16)].view(np.uint8).reshape(-1, w)
        h = heads[s:s + (1 << 16)].view(np.uint8).reshape(-1, w)
        out[s:s + (1 << 16)] = ((a == h) | (cols >= lengths[s:s + (1 << 16), None])).all(axis=1)
    return out


def _prefix(strings: np.ndarray, width: int) -> np.ndarray:
    """The first ``width`` bytes of each S<w> string, as S<width>."""
    w = strings.dtype.itemsize
    return np.ascontiguousarray(strings.view(np.uint8).reshape(-1, w)[:, :width]).view(f"S{width}").ravel()


class TextIndex:
    """Find many quotes in one text at once.

    Every byte position of the UTF-8 text is keyed by the next K bytes; the
    keys are sorted once, and all quotes are looked up by binary search
    (numpy's searchsorted). The search runs on the keys' first 32 bytes,
    four times cheaper than on all K; only a quote whose 32 bytes begin
    several keys is searched again on K. A byte match is a character match:
    in UTF-8 a continuation byte never equals the first byte of a character.
    """

    TABLE_BYTES = 64 * 1024 * 1024  # K shrinks for long texts to keep the key table this small
    PREFIX = 32

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8")
        self.keys = self.pos = self.short = None
        n = len(self.data)
        self.k = max(16, min(160, self.TABLE_BYTES // max(n, 1)))
        if n and b"\x00" not in self.data and n * 16 <= self.TABLE_BYTES * 4:
            k = self.k
            padded = np.frombuffer(self.data + b"\x00" * k, dtype=np.uint8)
            windows = np.lib.stride_tricks.sliding_window_view(padded, k)[:n]
            keys = np.ascontiguousarray(windows).view(f"S{k}").ravel()
            self.pos = np.argsort(keys, kind="stable")
            self.keys = keys[self.pos]
            self.short = _prefix(self.keys, min(self.PREFIX, k))

    def contains(self, quotes) -> np.ndarray:
        """For each quote (a list of str, or an Arrow string array): is it in the text?"""
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = quotes if isinstance(quotes, (pa.Array, pa.ChunkedArray)) else pa.array(list(quotes), type=pa.string())
        if self.keys is None or len(arr) == 0:
            return np.array([q in self.text for q in arr.to_pylist()], dtype=bool)
        k, n, p = self.k, len(self.keys), self.short.dtype.itemsize
        binary = pc.cast(arr, pa.binary())
        heads = np.asarray(pc.binary_slice(binary, 0, k).to_numpy(zero_copy_only=False), dtype=f"S{k}")
        sizes = np.asarray(pc.binary_length(binary).to_numpy(zero_copy_only=False))
        # The text holds no NUL byte, but its last keys are padded with them.
        no_nul = ~np.asarray(pc.fill_null(pc.match_substring(binary, "\x00"), True).to_numpy(zero_copy_only=False),
                             dtype=bool)
        heads_p = _prefix(heads, p)
        # The keys beginning with the quote's first p bytes, if any, start at lo.
        lo = np.searchsorted(self.short, heads_p, side="left")
        at = np.minimum(lo, n - 1)
        start, stop = at.copy(), at + 1
        # Several keys share those p bytes and the quote is longer: search again on all K bytes.
        after = np.minimum(lo + 1, n - 1)
        again = np.flatnonzero((sizes > p) & (lo + 1 < n) & (self.short[after] == heads_p))
        if len(again):
            start[again] = np.searchsorted(self.keys, heads[again], side="left")
            at[again] = np.minimum(start[again], n - 1)
        found = (lo < n) & no_nul & (start < n) & _starts_with(self.keys[at], heads, np.minimum(sizes, k))
        long = np.flatnonzero(found & (sizes > k))
        if len(long):
            again_long = np.intersect1d(long, again, assume_unique=True)
            if len(again_long):
                stop[again_long] = np.searchsorted(self.keys, heads[again_long], side="right")
            quotes_long = binary.take(pa.array(long)).to_pylist()
            data, pos = self.data, self.pos
            found[long] = [any(data.startswith(q, int(i)) for i in pos[a:b])
                           for q, a, b in zip(quotes_long, start[long].tolist(), stop[long].tolist())]
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
        stats["quotes"] += int(present.sum())
        for sid in pd.unique(srcs[present]):
            rows = np.flatnonzero(present & (srcs == sid).to_numpy(dtype=bool, na_value=False))
            text = texts.get(sid)
            if text is None:
                unchecked[sid] = unchecked.get(sid, 0) + len(rows)
                stats["unheld"] += len(rows) if sid in unheld else 0
                continue
            stats["checked"] += len(rows)
            index = indexes.get(sid) or indexes.setdefault(sid, TextIndex(text))
            from .. import arrowstr

            found = index.contains(arrowstr.arrow(t.frame[field]).take(rows))
            for i in rows[~found]:
                quote = t.frame[field].iat[i]
                near = closest_passage(text, quote)
                hint = ""
                if _normal(quote) in _normal(text):
                    hint = " (the quote differs only in quotation marks, dashes or spacing)"
                problems.append(problem("evidence", file=t.table.path, line=t.lines[i], column=field,
                                        value=quote[:80] + ("..." if len(quote) > 80 else ""),
                                        expected=repr(sid), detail=f"{near!r}{hint}"))
    for sid, n in sorted(unchecked.items()):
        why = "no text is held for it (no sha256)" if sid in texts and not str(
            sframe.loc[sid].get("sha256", "") or "") else "its text is not in the sources directories"
        notices.append(f"evidence NOT checked for {n} quote{'s' if n != 1 else ''} of source {sid!r}: {why}")
    return problems, notices, stats

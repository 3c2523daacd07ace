"""The column-wise string helpers agree with plain Python on any text.

The fast engine trusts them for the formula and whitespace rules; a helper
that reads Arrow buffers directly must be right for every chunk layout,
empty and missing cell, and multi-byte character."""

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from dprk_relations.model import arrowstr

FIRST = ["=", "+", "-", "@", "\t", "\r"] + arrowstr.PY_SPACES
LAST = arrowstr.PY_SPACES
# Characters whose UTF-8 bytes share first or last bytes with the ones looked for.
ALPHABET = st.sampled_from(list("ab=+-@ ,\t\r\n\u00e9\u00a0\u0085\u2003\u3000\u2028\u202f\u205f\u1680"
                                "\u0100\u2080\u3001\u00c2\u200b\ud55c"))
CELLS = st.lists(st.one_of(st.none(), st.text(ALPHABET, max_size=5)), max_size=30)


def _naive(cells, first, last):
    return np.array([c is not None and c != "" and (c[:1] in first or c[-1:] in last) for c in cells], dtype=bool)


@settings(max_examples=300, deadline=None)
@given(CELLS, CELLS, st.integers(0, 5))
def test_first_or_last_in_matches_python(a, b, cut):
    # Two chunks, the first sliced: offsets that do not start at 0.
    first_chunk = pa.array(a, type=pa.string()).slice(min(cut, len(a)))
    cells = a[min(cut, len(a)):] + b
    series = pd.Series(pd.array(pa.chunked_array([first_chunk, pa.array(b, type=pa.string())]),
                                dtype=arrowstr.STRING))
    got = arrowstr.first_or_last_in(series, FIRST, LAST)
    assert got.tolist() == _naive(cells, FIRST, LAST).tolist()


def test_a_column_of_only_empty_or_missing_cells():
    series = pd.Series(pd.array(["", None, ""], dtype=arrowstr.STRING))
    assert arrowstr.first_or_last_in(series, FIRST, LAST).tolist() == [False, False, False]


KEYS = st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "b", "B", "a ", "\u00e9", "ab"])), max_size=12)


@settings(max_examples=300, deadline=None)
@given(KEYS, st.booleans())
def test_all_distinct_and_is_empty_match_python(cells, in_order):
    if in_order:  # raw files come sorted by key; the helper takes a shortcut then
        cells = sorted(c for c in cells if c is not None) + [c for c in cells if c is None]
    series = pd.Series(pd.array(cells, dtype=arrowstr.STRING))
    present = [c for c in cells if c is not None]
    assert arrowstr.all_distinct(series) == (len(set(present)) == len(present))
    assert arrowstr.is_empty(series).tolist() == [c == "" for c in cells]


@settings(max_examples=200, deadline=None)
@given(CELLS, CELLS, st.integers(0, 5), st.sampled_from([[""], ["", "NA"], ["-"], []]))
def test_is_missing_and_has_byte_match_python(a, b, cut, missing):
    first_chunk = pa.array(a, type=pa.string()).slice(min(cut, len(a)))
    cells = a[min(cut, len(a)):] + b
    arr = pa.chunked_array([first_chunk, pa.array(b, type=pa.string())])
    series = pd.Series(pd.array(arr, dtype=arrowstr.STRING))
    assert arrowstr.is_missing(series, missing).tolist() == [c is None or c in missing for c in cells]
    for byte in (b"\n", b",", b"a"):
        assert arrowstr.has_byte(arr, byte) == any(c is not None and byte.decode() in c for c in cells)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=40), st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_the_utf8_precheck_agrees_with_python(data):
    from dprk_relations.model.csvarrow import _is_utf8

    try:
        data.decode("utf-8")
        python = True
    except UnicodeDecodeError:
        python = False
    assert _is_utf8(data) == python


PATTERNS = st.sampled_from(["[a-z0-9]+(-[a-z0-9]+)*", "a+$", "(a|b)?=", "[^,]*", "é.?", "[0-9]{1,2}"])
MATCH_CELLS = st.lists(st.one_of(st.none(), st.text(st.sampled_from(list("ab-0,=é\n")), max_size=5)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(MATCH_CELLS, MATCH_CELLS, st.integers(0, 5), PATTERNS, st.data())
def test_python_match_is_re_match_on_the_cells_under_the_mask(a, b, cut, pattern, data):
    """Dense and sparse masks alike, a column of few values or of many: a sparse mask (under
    half the cells) is matched on the cells it selects alone, a column of few values once
    per value, and the answers must land on the right rows."""
    import re

    first_chunk = pa.array(a, type=pa.string()).slice(min(cut, len(a)))
    cells = a[min(cut, len(a)):] + b
    series = pd.Series(pd.array(pa.chunked_array([first_chunk, pa.array(b, type=pa.string())]),
                                dtype=arrowstr.STRING))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells))), dtype=bool)
    mask &= np.array([c is not None for c in cells], dtype=bool)
    want = [bool(m) and re.match(pattern, c) is not None for m, c in zip(mask, cells)]
    assert arrowstr.python_match(series, mask, pattern).tolist() == want
    # A column of few distinct values is matched once per value: forced here on a short one.
    saved = arrowstr.FEW_VALUES_MIN_CELLS
    arrowstr.FEW_VALUES_MIN_CELLS = 0
    try:
        assert arrowstr.python_match(series, mask, pattern).tolist() == want
    finally:
        arrowstr.FEW_VALUES_MIN_CELLS = saved


def test_python_match_lets_dollar_match_before_a_final_newline_as_re_does():
    import re

    cells = ["a\n", "a", "b\n", "a\n\n", "aa\n", ""] * 3
    series = pd.Series(pd.array(cells, dtype=arrowstr.STRING))
    mask = np.ones(len(cells), dtype=bool)
    want = [re.match("a+$", c) is not None for c in cells]
    assert want[:2] == [True, True]
    saved = arrowstr.FEW_VALUES_MIN_CELLS
    for minimum in (saved, 0):  # each value matched in its cell, and once per distinct value
        arrowstr.FEW_VALUES_MIN_CELLS = minimum
        try:
            assert arrowstr.python_match(series, mask, "a+$").tolist() == want
        finally:
            arrowstr.FEW_VALUES_MIN_CELLS = saved

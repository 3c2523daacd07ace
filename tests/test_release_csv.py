"""The release CSVs quote cells as Python's csv module does (QUOTE_MINIMAL, with CR and
LF both special): the published files were written that way, and a rebuild must give
the same bytes."""

import csv
import io

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from datapackage.release_files import _csv_cells

CELL = st.text(st.sampled_from(list('ab ,"\r\n\u00e9')), max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(CELL, CELL), max_size=40), st.integers(0, 3))
def test_cells_are_quoted_as_python_quotes_them(rows, cut):
    """Two columns, so that an empty cell is not a row of its own (which csv quotes), and a
    sliced array, so that the offsets do not start at 0."""
    left = _csv_cells(pa.array([r[0] for r in rows] + [""] * cut, type=pa.string()).slice(0, len(rows)))
    right = _csv_cells(pa.array([""] * cut + [r[1] for r in rows], type=pa.string()).slice(cut))
    ours = "".join(f"{a},{b}\r\n" for a, b in zip(left.to_pylist(), right.to_pylist()))
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)  # its line end "\r\n" makes both CR and LF need quotes
    assert ours == buf.getvalue()

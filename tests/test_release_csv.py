"""The release CSVs quote cells as Python's csv module does (QUOTE_MINIMAL, with CR and
LF both special): the published files were written that way, and a rebuild must give
the same bytes."""

import csv
import io

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from dprk_relations.documents.files import _csv_cells

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


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3).flatmap(lambda k: st.lists(st.tuples(*[CELL] * k), min_size=1, max_size=20)))
def test_a_table_is_written_as_the_csv_module_writes_it(rows):
    """Header, one line per row ending in LF (the last one too), one to three columns."""
    import pandas as pd

    from dprk_relations.model import arrowstr
    from dprk_relations.stages.derive import ReleaseTable
    from dprk_relations.documents.files import csv_bytes

    names = [f"c{j}" for j in range(len(rows[0]))]
    strings = pd.DataFrame({n: pd.Series([r[j] for r in rows], dtype=arrowstr.STRING) for j, n in enumerate(names)})
    rt = ReleaseTable(table=None, schema={"fields": [{"name": n, "type": "string"} for n in names]},
                      strings=strings, typed=strings)
    got = csv_bytes(rt).decode("utf-8")
    assert got.startswith(",".join(names) + "\n") and got.endswith("\n")
    # A row of one empty cell is a blank line, which the csv module reads as no cells.
    assert list(csv.reader(io.StringIO(got, newline=""))) == [names] + [list(r) if r != ("",) else [] for r in rows]
    if len(names) > 1:  # the csv module quotes a lone empty cell; with more cells, byte for byte
        # Row by row with the csv module's CRLF, whose CR and LF make it quote a cell holding either;
        # each row's own line end is then swapped for the release's LF, so that a CR or LF inside a
        # cell is never touched and every table compares byte for byte.
        def line(row):
            buf = io.StringIO(newline="")
            csv.writer(buf).writerow(row)
            return buf.getvalue()[:-2] + "\n"

        assert got == "".join(line(r) for r in [names, *rows])

"""The release CSVs quote cells as Python's csv module does (QUOTE_MINIMAL, with CR and
LF both special): the published files were written that way, and a rebuild must give
the same bytes."""

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st


CELL = st.text(st.sampled_from(list('ab ,"\r\n\u00e9')), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3).flatmap(lambda k: st.lists(st.tuples(*[CELL] * k), min_size=1, max_size=20)))
def test_a_table_is_written_as_the_csv_module_writes_it(rows):
    """Header, one line per row ending in LF (the last one too), one to three columns."""
    import pandas as pd

    from dprk_relations.model import strings
    from dprk_relations.stages.derive import ReleaseTable
    from dprk_relations.documents.files import csv_bytes

    names = [f"c{j}" for j in range(len(rows[0]))]
    cells = pd.DataFrame({n: pd.Series([r[j] for r in rows], dtype=strings.STRING) for j, n in enumerate(names)})
    rt = ReleaseTable(table=None, schema={"fields": [{"name": n, "type": "string"} for n in names]},
                      strings=cells, typed=cells)
    got = csv_bytes(rt).decode("utf-8")
    assert got.startswith(",".join(names) + "\n") and got.endswith("\n")
    assert list(csv.reader(io.StringIO(got, newline=""))) == [names] + [list(r) for r in rows]
    # Byte for byte:
    # Row by row with the csv module's CRLF, whose CR and LF make it quote a cell holding either;
    # each row's own line end is then swapped for the release's LF, so that a CR or LF inside a
    # cell is never touched and every table compares byte for byte.
    def line(row):
        buf = io.StringIO(newline="")
        csv.writer(buf).writerow(row)
        return buf.getvalue()[:-2] + "\n"

    assert got == "".join(line(r) for r in [names, *rows])

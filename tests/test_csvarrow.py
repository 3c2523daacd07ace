"""The fast reading path (Arrow) takes a file only when it is in canonical form,
and agrees with the careful reader on what that form is."""

from types import SimpleNamespace

import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dprk_relations.model import csvarrow
from dprk_relations.model.csvfile import STRING, _canonical_problems, canonical_bytes

TABLE = SimpleNamespace(field_names=["id", "text", "note"], primary_key=("id",), path="raw/t.csv")
CELL = st.text(st.sampled_from(list('ab ,"\u00e9x')), max_size=6)
ROWS = st.lists(st.tuples(st.text("abc", min_size=1, max_size=3), CELL, CELL), max_size=12,
                unique_by=lambda r: r[0])


def _frame(rows):
    return pd.DataFrame({n: pd.Series([r[i] for r in rows], dtype=STRING) for i, n in enumerate(TABLE.field_names)})


@settings(max_examples=300, deadline=None)
@given(ROWS)
def test_canonical_bytes_take_the_fast_path(rows):
    data = canonical_bytes(TABLE, _frame(rows))
    parsed = csvarrow.parse(TABLE, data)
    assert parsed is not None
    assert [tuple(r.values()) for r in parsed.to_pylist()] == sorted(rows)


@settings(max_examples=300, deadline=None)
@given(ROWS, st.data())
def test_any_other_spelling_is_left_to_the_careful_reader(rows, data):
    """Quote a cell that needs no quotes, or swap two rows: the fast path refuses, and the careful
    reader names the fault."""
    rows = sorted(rows)
    lines = canonical_bytes(TABLE, _frame(rows)).decode("utf-8").split("\n")
    plain = [(i, j) for i, r in enumerate(rows) for j, c in enumerate(r) if not any(ch in c for ch in ',"')]
    options = (["quote"] if plain else []) + (["swap"] if len(rows) >= 2 else [])
    assume(options)
    how = data.draw(st.sampled_from(options))
    if how == "quote":
        i, j = data.draw(st.sampled_from(plain))
        cells = [c if k != j else f'"{c}"' for k, c in enumerate(rows[i])]
        cells = [c if (k == j or not any(ch in c for ch in ',"')) else '"' + c.replace('"', '""') + '"'
                 for k, c in enumerate(cells)]
        lines[i + 1] = ",".join(cells)
        rule = "not-canonical"
    else:
        lines[1], lines[2] = lines[2], lines[1]
        rule = "row-order"
    broken = "\n".join(lines).encode("utf-8")
    assert csvarrow.parse(TABLE, broken) is None
    from dprk_relations.model.csvfile import parse_bytes

    got = parse_bytes(TABLE, broken)
    assert [p.rule for p in got.problems] == [rule]


def test_the_row_order_check_finds_the_first_row_out_of_place():
    rows = [("a", "", ""), ("c", "", ""), ("b", "", ""), ("d", "", "")]
    probs = _canonical_problems(TABLE, _frame(rows), b"", "raw/t.csv")
    assert [(p.rule, p.line, p.value) for p in probs] == [("row-order", 4, "b")]


def test_the_fast_path_never_asks_pyarrow_about_pandas():
    """Files are parsed in threads while the main thread imports pandas. A Python value
    made into an Arrow one (pa.scalar, pa.array, a fill value) makes pyarrow import pandas
    to ask whether the value is a pandas object, and inside that import the thread waits
    for the main thread's. A fresh process that parses a file with a two-field key and
    quoted cells (the paths that build such values) must not have imported pandas."""
    import subprocess
    import sys

    code = r'''
import sys
from types import SimpleNamespace
from dprk_relations.model import csvarrow
table = SimpleNamespace(field_names=["a", "b", "text"], primary_key=("a", "b"), path="t.csv")
parsed = csvarrow.parse(table, b'a,b,text\nx,1,"one, two"\nx,2,"say ""hi"""\ny,1,plain\n')
assert parsed is not None and parsed.num_rows == 3
print("pandas" in sys.modules)
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr

"""The release writer's formula scan reads CSV column-wise with Arrow; it must
find exactly the cells, rows and columns the csv module finds, for any text."""

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from dprk_relations.documents import safety

SCHEMA = {"fields": [{"name": "a", "type": "string"}, {"name": "n", "type": "number"},
                     {"name": "b", "type": "string"}]}
CELL = st.text(st.sampled_from(list('ab=+-@1.e,"\n\t ')), max_size=6)


def _by_csv_module(data: bytes):
    numeric = {"n"}
    rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(rows, [])
    return [(line, name, cell) for line, row in enumerate(rows, start=2)
            for name, cell in zip(header, row) if safety.is_formula_like(cell, name in numeric)]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(CELL, CELL, CELL), max_size=8))
def test_the_arrow_scan_agrees_with_the_csv_module_on_written_csv(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["a", "n", "b"])
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    assert safety.formula_cells(data, SCHEMA) == _by_csv_module(data)


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(list('ab=-,"\n ')), max_size=40))
def test_the_arrow_scan_agrees_or_steps_aside_on_any_text(body):
    data = ("a,n,b\n" + body).encode("utf-8")
    fast = safety._formula_cells_arrow(data, {"n"})
    if fast is not None:
        assert fast == _by_csv_module(data)


@settings(max_examples=600, deadline=None)
@given(st.text(st.sampled_from(list('ab=+-@1,"\n\r\t ')), max_size=40))
def test_the_byte_precheck_never_clears_a_file_that_holds_a_formula_cell(body):
    """Any text at all, quoted well or badly, with CR line ends or none: when the precheck
    says no cell can start a formula, the csv module finds none."""
    data = ("a,n,b\n" + body).encode("utf-8")
    if safety.no_cell_can_start_a_formula(data):
        assert _by_csv_module(data) == []


def test_the_byte_precheck_clears_plain_data_and_flags_each_way_a_cell_can_start():
    assert safety.no_cell_can_start_a_formula(b"a,n,b\nx-y,1,2018-03-26\n")
    for data in (b"=a,n\n", b"=a,n", b"a,n\n-1,x\n", b'a,n\nx,"@y"\n', b"a,n\rx,\tb\n", b'a,n\nx,""=y\n'):
        assert not safety.no_cell_can_start_a_formula(data), data

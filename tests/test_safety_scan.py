"""The release writer's last check: every formula-like cell of a CSV it would write,
at its row and column, quoted or not; a plain number may carry a sign only in a
number column."""

from dprk_relations.documents import safety

SCHEMA = {"fields": [{"name": "a", "type": "string"}, {"name": "n", "type": "number"},
                     {"name": "b", "type": "string"}]}


def test_formula_cells_are_found_at_their_row_and_column_and_signed_numbers_pass_only_as_numbers():
    data = ('a,n,b\n'
            'ok,-5,fine\n'              # a negative number in a number column: a number
            '"=1+1",1e3,x\n'           # quoted, still a formula
            'x,+1,"@SUM(A1)"\n'
            '-5,2,"a,b"\n'              # a signed number in a text column: a spreadsheet runs it
            'y,=2,"\tz"\n').encode("utf-8")
    assert safety.formula_cells(data, SCHEMA) == [(3, "a", "=1+1"), (4, "b", "@SUM(A1)"), (5, "a", "-5"),
                                                  (6, "n", "=2"), (6, "b", "\tz")]


def test_a_clean_table_has_none():
    assert safety.formula_cells(b"a,n,b\nx,-1.5,y\n", SCHEMA) == []


def test_rows_are_placed_alike_whether_a_cell_spans_lines_or_not():
    """A file whose rows are one line each is read line by line, only where a cell could start
    with a formula character; a cell holding a line break makes it read as a whole: same places."""
    one_line = ('a,n,b\n'
                '"http://x.org/a,-b",1,ok\n'   # a comma and a hyphen inside a quoted URL: no cell starts there
                'x,2,y\n'
                'z,3,"=HYPERLINK(1)"\n')
    spanning = one_line.replace("x,2,y", '"x\nwrapped",2,y')
    assert safety.formula_cells(one_line.encode("utf-8"), SCHEMA) == [(4, "b", "=HYPERLINK(1)")]
    assert safety.formula_cells(spanning.encode("utf-8"), SCHEMA) == [(4, "b", "=HYPERLINK(1)")]
    assert safety.formula_cells(b'a,n,b\n"x,=y",1,z\n', SCHEMA) == []

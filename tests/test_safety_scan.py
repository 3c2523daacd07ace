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

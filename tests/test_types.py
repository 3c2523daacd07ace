"""Each Table Schema type is one entry of model.types.TYPES: its pandas dtype, Arrow type,
CSV spelling and the R loader's column type. Each entry must round-trip: a typed
column written as CSV cells or as Parquet and read back is the same column, and
datapackage/load.R reads each type with the readr type the entry names."""

import re

import pandas as pd
import pyarrow as pa
import pytest

from conftest import REPO
from dprk_relations.model.types import TYPES, csv_cells, field_type

FIELDS = {
    "string": {"name": "s", "type": "string"},
    "category": {"name": "c", "type": "string", "constraints": {"enum": ["low", "medium", "high"]},
                 "categoriesOrdered": True},
    "list": {"name": "l", "type": "string", "x-separator": "; "},
    "integer": {"name": "i", "type": "integer"},
    "number": {"name": "n", "type": "number"},
    "boolean": {"name": "b", "type": "boolean", "trueValues": ["true"], "falseValues": ["false"]},
    "date": {"name": "d", "type": "date"},
}
CELLS = {
    "string": ["Kim Il Sung", "", "a, \"quoted\" one"],
    "category": ["high", "", "low"],
    "list": ["Moscow; Leningrad", "", "Beijing"],
    "integer": ["1961", "", "-40000000000"],
    "number": ["0.5", "", "1200000"],
    "boolean": ["true", "", "false"],
    "date": ["1961-07-06", "", "2018-03-25"],
}


def test_every_type_has_its_entry():
    assert set(TYPES) == set(FIELDS)
    for name, field in FIELDS.items():
        assert field_type(field).name == name


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_a_column_comes_back_the_same_from_csv_cells_and_from_parquet(name):
    field, kind = FIELDS[name], TYPES[name]
    cells = pd.Series(CELLS[name], dtype=object).where(lambda s: s != "", None)
    typed = kind.load(cells, field)
    assert str(typed.dtype) == kind.pandas
    assert typed.isna().tolist() == [False, True, False]
    # CSV: spelled, then read back from the strings
    spelled = csv_cells(typed, field)
    assert spelled.tolist() == CELLS[name]
    again = kind.load(spelled.where(spelled != "", None), field)
    pd.testing.assert_series_equal(again, typed)
    # Parquet: the Arrow type, then read back from what pyarrow gives pandas
    arr = kind.to_arrow(typed, field)
    assert arr.type == kind.arrow(field)
    back = pa.table({"x": arr}).to_pandas()["x"]
    if isinstance(back.dtype, pd.CategoricalDtype):
        back = back.astype(object)
    pd.testing.assert_series_equal(kind.load(back.where(back.notna(), None), field), typed, check_names=False)


def test_the_r_loader_reads_each_type_as_the_table_says():
    source = (REPO / "datapackage" / "load.R").read_text(encoding="utf-8")
    spec = source[source.index("col_spec <- function(field)"):source.index("to_logical <- function")]
    branches = {"string": "string", "category": "string", "list": "string", "integer": "integer",
                "number": "number", "boolean": "boolean", "date": "date"}
    for name, kind in TYPES.items():
        branch = re.search(rf"\b{branches[name]} = (.*?)(?:,\n\s+\w+ = |\n\s+stop\()", spec, re.S)
        assert branch and kind.r_reader in branch.group(1), (name, kind.r_reader)

"""Cells a spreadsheet would run as a formula, found in a release's CSV files.

The validator refuses such text in raw data (the ``formula`` rule); this is
the release writer's own last check, over every column it writes, derived
ones included, so that no released CSV ever holds one. A cell may start with
``-`` or ``+`` only in an integer or number column, and only when it is a
plain finite number.
"""

from __future__ import annotations

import csv
import io
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")


class UnsafeCell(Exception):
    """A release CSV would hold a formula-like cell; the message names it."""


def is_formula_like(cell: str, numeric: bool) -> bool:
    if not cell.startswith(FORMULA_STARTS):
        return False
    return not (numeric and PLAIN_NUMBER.match(cell))


def formula_cells(data: bytes, schema: dict) -> list[tuple[int, str, str]]:
    """(spreadsheet row, column, cell) of every formula-like cell of a CSV file."""
    if no_cell_can_start_a_formula(data):
        return []
    numeric = {f.get("name") for f in schema.get("fields", []) if f.get("type") in ("integer", "number")}
    fast = _formula_cells_arrow(data, numeric)
    if fast is not None:
        return fast
    rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(rows, [])
    return [(line, name, cell) for line, row in enumerate(rows, start=2)
            for name, cell in zip(header, row) if is_formula_like(cell, name in numeric)]


# A cell's text begins at the start of the file, after a delimiter or a line end, or
# after a quote (a quoted cell; also ``""=x``, which the csv module reads as "=x").
_CELL_STARTS_AFTER = b',\n\r"'


def no_cell_can_start_a_formula(data: bytes) -> bool:
    """True when no byte that could start a formula follows a byte after which a cell can
    begin: then no cell starts with one, however the file is quoted. One pass in numpy over
    the bytes; a release of valid data, where only negative numbers start that way, is
    cleared without parsing it. False says only "look closer"."""
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    risky = np.zeros(256, dtype=bool)
    risky[[ord(c) for c in FORMULA_STARTS]] = True
    at = np.flatnonzero(risky[raw])
    if len(at) == 0:
        return True
    if at[0] == 0:
        return False
    return not np.isin(raw[at - 1], np.frombuffer(_CELL_STARTS_AFTER, dtype=np.uint8)).any()


def _formula_cells_arrow(data: bytes, numeric: set) -> list[tuple[int, str, str]] | None:
    """The same, column-wise: only cells whose first byte could start a formula are
    looked at in Python. None when Arrow cannot read the file as the csv module does."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from dprk_relations.model.strings import first_or_last_in_arrow

    if b"\r" in data:
        return None  # the csv module's line ending rules are its own
    try:
        end = data.find(b"\n")
        header = next(csv.reader(io.StringIO((data if end < 0 else data[:end]).decode("utf-8"), newline="")), [])
        table = pacsv.read_csv(pa.py_buffer(data), read_options=pacsv.ReadOptions(use_threads=True),
                               parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                               convert_options=pacsv.ConvertOptions(
                                   column_types={n: pa.string() for n in header},
                                   strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError):
        return None
    if table.column_names != header or len(set(header)) != len(header):
        return None
    found = []
    for name in header:
        col = table.column(name)
        for i in np.flatnonzero(first_or_last_in_arrow(col, list(FORMULA_STARTS), [])):
            cell = col[int(i)].as_py()
            if is_formula_like(cell, name in numeric):
                found.append((int(i) + 2, name, cell))
    order = {name: j for j, name in enumerate(header)}
    return sorted(found, key=lambda f: (f[0], order[f[1]]))


def check_release_csvs(files: dict, schemas: dict) -> None:
    """Raise UnsafeCell naming the first formula-like cell of any data/<table>.csv."""
    for name, schema in schemas.items():
        found = formula_cells(files[f"data/{name}.csv"], schema)
        if found:
            line, column, cell = found[0]
            raise UnsafeCell(f"data/{name}.csv row {line} [{column}]: {cell[:40]!r} starts with {cell[:1]!r}, which a "
                             f"spreadsheet would run as a formula; nothing was written")

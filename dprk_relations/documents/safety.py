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

from dprk_relations.model.types import PLAIN_NUMBER

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Where a cell can start: at the start of a line (_FIRST), or after a delimiter, a line break or
# the quote that opens it (_MAYBE). A file with no such character there has no cell to look at.
_STARTS = "[" + re.escape("".join(FORMULA_STARTS)) + "]"
_FIRST = re.compile(_STARTS)
_MAYBE = re.compile("[,\n\"]" + _STARTS)


class UnsafeCell(Exception):
    """A release CSV would hold a formula-like cell; the message names it."""


def is_formula_like(cell: str, numeric: bool) -> bool:
    if not cell.startswith(FORMULA_STARTS):
        return False
    return not (numeric and PLAIN_NUMBER.match(cell))


def formula_cells(data: bytes, schema: dict) -> list[tuple[int, str, str]]:
    """(spreadsheet row, column, cell) of every formula-like cell of a CSV file."""
    numeric = {f.get("name") for f in schema.get("fields", []) if f.get("type") in ("integer", "number")}
    text = data.decode("utf-8")
    if not _MAYBE.search(text):  # the file's first line is the header, which is not checked
        return []
    lines = text.split("\n")
    if "\r" not in text and all(line.count('"') % 2 == 0 for line in lines):
        # No quoted cell spans a line break: each line is one row, and only the lines where a cell
        # could start with such a character need reading (a comma in a quoted URL is not one).
        header = next(csv.reader(lines[:1]), [])
        rows = ((i, next(csv.reader([line]))) for i, line in enumerate(lines[1:], start=2)
                if line and (_FIRST.match(line) or _MAYBE.search(line)))
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        rows = enumerate(reader, start=2)
    return [(line, name, cell) for line, row in rows
            for name, cell in zip(header, row) if is_formula_like(cell, name in numeric)]


def check_release_csvs(files: dict, schemas: dict) -> None:
    """Raise UnsafeCell naming the first formula-like cell of any data/<table>.csv."""
    for name, schema in schemas.items():
        found = formula_cells(files[f"data/{name}.csv"], schema)
        if found:
            line, column, cell = found[0]
            raise UnsafeCell(f"data/{name}.csv row {line} [{column}]: {cell[:40]!r} starts with {cell[:1]!r}, which a "
                             f"spreadsheet would run as a formula; nothing was written")

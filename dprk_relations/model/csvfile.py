"""Read raw CSV files strictly, and write CSV in the one canonical form.

Reading checks the bytes and the structure (encoding, BOM, line endings,
delimiter, header, cell counts, blank rows) and returns the cells as strings
with their spreadsheet row numbers. Types and constraints are the engines'
job, not this module's.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from dprk_relations.model.package import Table
from dprk_relations.model.problems import Problem, problem

if TYPE_CHECKING:  # the reader itself needs no pandas: the frictionless process reads with it
    import pandas as pd

BOM = b"\xef\xbb\xbf"


@dataclass
class RawTable:
    table: Table
    rows: list[list[str]] | None  # every cell a str ("" when empty), schema column order
    lines: list = field(default_factory=list)  # spreadsheet row number of each row
    problems: list = field(default_factory=list)
    delimiter: str = ","

    @property
    def usable(self) -> bool:
        """Cell checks make sense only when every schema column was found."""
        return self.rows is not None

    @cached_property
    def frame(self) -> pd.DataFrame | None:
        """The rows as a frame of strings, one column per schema field."""
        if self.rows is None:
            return None
        import pandas as pd

        from dprk_relations.model.strings import STRING

        names = self.table.field_names
        columns = list(map(list, zip(*self.rows))) if self.rows else [[] for _ in names]
        return pd.DataFrame({n: pd.Series(c, dtype=STRING) for n, c in zip(names, columns)})


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, shown: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8, reporting every undecodable spot (first per line)."""
    probs = []
    if data.startswith(BOM):
        probs.append(problem("bom", file=shown, line=1))
        data = data[len(BOM):]
    try:
        return data.decode("utf-8"), probs
    except UnicodeDecodeError:
        pass
    seen_lines = set()
    pos = 0
    while pos < len(data):
        try:
            data[pos:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            start = pos + exc.start
            line = _line_of(data, start)
            if line not in seen_lines:
                seen_lines.add(line)
                bad = data[start:pos + exc.end]
                guess = ""
                try:
                    guess = f"in Windows-1252 they would read {bad.decode('cp1252')!r}"
                except UnicodeDecodeError:
                    guess = "the file is probably in a legacy encoding"
                probs.append(problem("encoding", file=shown, line=line,
                                     value=bad.hex(" "), detail=guess))
            pos = pos + exc.end
    return None, probs


def _sniff_delimiter(first_line: str, expected: list[str]) -> str:
    for delim in (";", "\t", "|"):
        if delim in first_line and first_line.count(",") == 0:
            cells = next(csv.reader([first_line], delimiter=delim))
            if set(cells) & set(expected):
                return delim
    return ","


def read_raw(table: Table, root: Path, form: bool = True) -> RawTable:
    """Read one raw table."""
    try:
        data = (Path(root) / table.path).read_bytes()
    except OSError as exc:
        return RawTable(table, None, problems=[problem("unreadable", file=table.path, detail=exc.strerror or str(exc))])
    return parse_bytes(table, data, form)


def parse_bytes(table: Table, data: bytes, form: bool = True) -> RawTable:
    """Read CSV bytes strictly: every fault found and placed, the cells as strings.

    ``form=False`` leaves out the comparison with the canonical form (row order,
    quoting), for a reader that wants the cells and not the report."""
    shown = table.path
    text, probs = decode(data, shown)
    if text is None:
        return RawTable(table, None, problems=probs)
    crlf = text.count("\r\n")
    if crlf or "\r" in text:
        first = text.find("\r")
        kind = "CR LF (Windows)" if crlf else "a bare CR (old Mac)"
        count = max(crlf, text.count("\r"))
        probs.append(problem("line-ending", file=shown, line=text.count("\n", 0, first) + 1,
                             detail=f"{count} lines end with {kind}"))
    expected = table.field_names
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delim = _sniff_delimiter(first_line, expected)
    if delim != ",":
        probs.append(problem("delimiter", file=shown, line=1, value=delim))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    records = []
    try:
        for rec in reader:
            records.append(rec)
    except csv.Error as exc:
        # The row where the broken record starts, not the line where the reader gave up.
        probs.append(problem("csv-syntax", file=shown, line=len(records) + 1, detail=str(exc)))
        return RawTable(table, None, problems=probs, delimiter=delim)
    if not records or not any(records[0]):
        probs.append(problem("header", file=shown, line=1, detail="the file has no header row",
                             expected=", ".join(expected)))
        return RawTable(table, None, problems=probs, delimiter=delim)
    header = records[0]
    frame_ok = _check_header(header, expected, shown, probs)
    width = len(header)
    rows, lines = [], []
    # Each record ends at its own LF unless a cell holds a line break: look cell by cell only then.
    breaks = "\r" in text or text.count("\n") > len(records) - (not text.endswith("\n"))
    for i, rec in enumerate(records[1:], start=2):
        if not any(rec):
            probs.append(problem("blank-row", file=shown, line=i))
            continue
        if len(rec) > width:
            probs.append(problem("extra-cell", file=shown, line=i, column=f"column {width + 1}",
                                 value=rec[width], detail=str(len(rec)), expected=str(width)))
            rec = rec[:width]
        elif len(rec) < width:
            col = header[len(rec)] if len(rec) < len(header) else f"column {len(rec) + 1}"
            probs.append(problem("missing-cell", file=shown, line=i, column=col,
                                 detail=str(len(rec)), expected=str(width)))
            rec = rec + [""] * (width - len(rec))
        for name, cell in zip(header, rec) if breaks else ():
            if "\n" in cell or "\r" in cell:
                probs.append(problem("line-break", file=shown, line=i, column=name, value=cell[:60]))
        rows.append(rec)
        lines.append(i)
    if not frame_ok:
        return RawTable(table, None, lines=lines, problems=probs, delimiter=delim)
    if header != expected:  # the same columns in another order: a problem above; read them by name
        at = [header.index(n) for n in expected]
        rows = [[row[j] for j in at] for row in rows]
    elif form and not probs:
        probs += _canonical_problems(table, rows, data, shown)
    return RawTable(table, rows, lines=lines, problems=probs, delimiter=delim)


def _check_header(header: list[str], expected: list[str], shown: str, probs: list) -> bool:
    """Report header faults; True when every column can be found by name."""
    exp = ", ".join(expected)
    ok = True
    seen = set()
    for name in header:
        if name in seen:
            probs.append(problem("header", file=shown, line=1, column=name,
                                 detail=f"column {name!r} appears twice", expected=exp))
            ok = False
        seen.add(name)
    missing = [n for n in expected if n not in seen]
    unknown = [n for n in header if n not in expected]
    for name in unknown:
        stripped = name.strip().lstrip("\ufeff")
        hint = ""
        if stripped in missing:
            hint = f" (it has stray spaces or invisible characters; write {stripped!r})"
        elif missing:
            hint = f" (renamed? the schema expects {', '.join(repr(m) for m in missing)})"
        probs.append(problem("header", file=shown, line=1, column=name or f"column {header.index(name) + 1}",
                             detail=f"column {name!r} is not in the schema{hint}", expected=exp))
        ok = False
    for name in missing:
        probs.append(problem("header", file=shown, line=1, column=name,
                             detail=f"column {name!r} is missing", expected=exp))
        ok = False
    if ok and header != expected:
        moved = next(a for a, b in zip(header, expected) if a != b)
        probs.append(problem("column-order", file=shown, line=1, column=moved,
                             detail=f"found {', '.join(header)}"))
    return ok


def sort_frame(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    if not table.primary_key:
        return frame
    return frame.sort_values(list(table.primary_key), kind="stable").reset_index(drop=True)


def write_csv(names: list[str], rows) -> bytes:
    """The one CSV writer: UTF-8 without BOM, LF, minimal quoting, a final newline.

    The csv module quotes a cell holding a character of its line terminator: written
    with CR LF, a cell holding either is quoted; each row's own CR LF is then cut to LF."""
    rows = [names, *rows]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    text = buf.getvalue()
    if text.count("\r") == len(rows):  # no cell holds a CR: every CR LF ends a row
        return text.replace("\r\n", "\n").encode("utf-8")
    out = []
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(row)
        out.append(buf.getvalue()[:-2])
    return ("\n".join(out) + "\n").encode("utf-8")


def canonical_bytes(table: Table, frame: pd.DataFrame) -> bytes:
    """The canonical CSV for a frame of strings: schema column order, key order."""
    frame = sort_frame(table, frame[table.field_names])
    return write_csv(table.field_names, zip(*(frame[n].tolist() for n in table.field_names)))


def _canonical_problems(table: Table, rows: list[list[str]], data: bytes, shown: str) -> list[Problem]:
    """Form faults that only a comparison with the canonical form shows, in a file whose
    header and rows are whole and in schema order."""
    if table.primary_key:
        at = [table.field_names.index(k) for k in table.primary_key]
        keys = [tuple(row[j] for j in at) for row in rows]
        for i in range(1, len(keys)):
            if keys[i] < keys[i - 1]:
                return [problem("row-order", file=shown, line=i + 2, column=",".join(table.primary_key),
                                value=",".join(keys[i]), detail=",".join(keys[i - 1]))]
    canon = write_csv(table.field_names, rows)  # the rows are in key order: this is the canonical form
    if canon == data:
        return []
    a, b = data.split(b"\n"), canon.split(b"\n")
    for i, (x, y) in enumerate(zip(a, b), start=1):
        if x != y:
            return [problem("not-canonical", file=shown, line=i,
                            detail="quoting or spacing differs from the canonical form "
                                   "(quotes only where needed, no spaces after commas)")]
    return [problem("not-canonical", file=shown, line=len(a),
                    detail="the file must end with exactly one line break")]

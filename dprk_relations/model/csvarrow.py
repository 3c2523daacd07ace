"""The fast path of reading a raw CSV: Arrow parses the bytes of a file in canonical form.

Kept apart from :mod:`.csvio` and free of pandas, so that files can be read
and parsed (Arrow releases the interpreter lock) while pandas is still being
imported (which holds it): on a large package the two overlap.

Nothing on this path may make a Python value into an Arrow one (``pa.scalar``,
``pa.array``, a Python fill value or separator, ``to_numpy`` of a copy):
pyarrow then asks whether the value is a pandas object, and while another
thread imports pandas that question waits for the whole import. Arrays are
made from buffers instead (:func:`_int64s`, :func:`_text_scalar`).
"""

from __future__ import annotations

from pathlib import Path


def read(table, root) -> tuple[bytes | OSError, object]:
    """(the file's bytes, or the error reading it; its Arrow table, or None when the fast path does not apply)."""
    try:
        data = Path(root, table.path).read_bytes()
    except OSError as exc:
        return exc, None
    return data, parse(table, data)


def parse(table, data: bytes):
    """The cells as an Arrow table of strings, when ``data`` is a well-formed UTF-8 CSV with
    the schema's header, LF line ends and one record per line; None otherwise (the careful
    reader in :mod:`.csvio` then finds and places every fault)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    expected = table.field_names
    header = ",".join(expected).encode("utf-8") + b"\n"
    if not data.startswith(header) or b"\r" in data or not data.endswith(b"\n") or data.endswith(b"\n\n"):
        return None
    if not data.isascii() and not _is_utf8(data):
        return None  # Arrow would fail inside its own error handler on bytes that are not UTF-8
    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    try:
        arrow_table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in expected},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=False))  # checked above, for the whole file
    except (pa.ArrowInvalid, pa.ArrowKeyError, pa.ArrowNotImplementedError):
        return None
    if invalid or arrow_table.column_names != expected:
        return None
    if data.count(b"\n") != arrow_table.num_rows + 1:
        return None  # a line break inside a quoted cell: one record is no longer one line
    if first_out_of_order(table, arrow_table) is not None or not quoted_minimally(arrow_table, data, lines_known=True):
        return None  # not canonical: the careful reader says what and where
    return arrow_table


def sort_keys(table, arrow_table):
    """The primary key of each row as one string (fields joined by U+001F), or None without a key."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = [arrow_table.column(k) for k in table.primary_key]
    if not cols:
        return None
    keys = cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, _text_scalar("\x1f", cols[0].type))
    return keys.combine_chunks() if hasattr(keys, "combine_chunks") else keys


def first_out_of_order(table, arrow_table) -> int | None:
    """The first row (0-based) whose key sorts before the previous row's, if any.
    Code point order, as Python compares strings: Arrow compares UTF-8 bytes, which sort the same."""
    import numpy as np
    import pyarrow.compute as pc

    keys = sort_keys(table, arrow_table)
    if keys is None or len(keys) < 2:
        return None
    less = pc.less(keys.slice(1), keys.slice(0, len(keys) - 1))
    if not pc.any(less).as_py():  # nulls skipped: None when every key is null
        return None
    return int(np.flatnonzero(pc.fill_null(less, False).to_numpy(zero_copy_only=False))[0]) + 1


def quoted_minimally(arrow_table, data: bytes, lines_known: bool = False) -> bool:
    """Cheap proof that ``data`` is the canonical CSV of the cells, without writing it.

    Reading already showed: UTF-8, no BOM, LF only, one record per line, the
    schema's header. What is left is quoting and the final line break: minimal
    quoting puts 2 + 2 x (inner quotes) quote characters around exactly the
    cells that hold a comma, a quote or a line break. A line with no quote
    character at all is canonical already (a comma in a cell would have split
    it), so only the lines that hold quotes are looked at."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not lines_known:  # parse() has just checked both
        if not data.endswith(b"\n") or data.endswith(b"\n\n"):
            return False
        if data.count(b"\n") != arrow_table.num_rows + 1:
            return False
    n_quotes = data.count(b'"')
    if not n_quotes:
        return True
    if n_quotes < 100_000:  # the usual case: few quoted cells, found without a pass over every byte in numpy
        quotes, at = [], data.find(b'"')
        while at >= 0:
            quotes.append(at)
            at = data.find(b'"', at + 1)
        line, prev, where = 0, 0, []
        for q in quotes:
            line += data.count(b"\n", prev, q)
            prev = q
            where.append(line)
        quote_lines = np.asarray(where)
    else:
        raw = np.frombuffer(data, dtype=np.uint8)
        quote_lines = np.searchsorted(np.flatnonzero(raw == 10), np.flatnonzero(raw == 34))
    lines = np.unique(quote_lines)  # 0 is the header
    header_quotes = int(np.count_nonzero(quote_lines == 0))
    expected = sum(2 + 2 * c.count('"') for c in arrow_table.column_names if any(ch in c for ch in ',"\n\r'))
    if header_quotes != expected:
        return False
    sub = arrow_table.take(_int64s(lines[lines > 0] - 1))
    for col in sub.columns:
        # Line breaks cannot be in these cells (reading refused them), so only commas and quotes count.
        # A null cell (none from parse) gives null: skipped by any, filter and sum alike.
        needs = pc.or_(pc.match_substring(col, ","), pc.match_substring(col, '"'))
        if pc.any(needs).as_py():
            inner = pc.count_substring(col.filter(needs), '"')
            expected += int(2 * pc.sum(needs.cast("int64")).as_py() + 2 * (pc.sum(inner).as_py() or 0))
    return len(quote_lines) == expected


def _int64s(values):
    """A numpy array of integers as an Arrow int64 array, from its buffer (see the module doc)."""
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _text_scalar(text: str, type):
    """``text`` as an Arrow scalar of the string type ``type``, from buffers (see the module doc)."""
    import numpy as np
    import pyarrow as pa

    data = text.encode("utf-8")
    offsets = np.array([0, len(data)], dtype=np.int64 if type == pa.large_string() else np.int32)
    return pa.Array.from_buffers(type, 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)])[0]


def _is_utf8(data: bytes) -> bool:
    """Arrow's UTF-8 validation of the whole file as one string: no copy into a Python str."""
    import numpy as np
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True

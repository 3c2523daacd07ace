"""The fast path of reading a raw CSV: Arrow parses the bytes of a file in canonical form.

Kept apart from :mod:`.csvio` and free of pandas, so that files can be read
and parsed (Arrow releases the interpreter lock) while pandas is still being
imported (which holds it): on a large package the two overlap.
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
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in expected},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=True))
    except (pa.ArrowInvalid, pa.ArrowKeyError, pa.ArrowNotImplementedError):
        return None
    if invalid or arrow_table.column_names != expected:
        return None
    if data.count(b"\n") != arrow_table.num_rows + 1:
        return None  # a line break inside a quoted cell: one record is no longer one line
    return arrow_table


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

"""Downloaded artifacts are untrusted: `verify` and `dprk_relations.load` refuse
crafted and damaged release zips with exit 1 / LoadError and a clear message,
and never write outside a temporary directory. Released CSVs never hold a
cell that a spreadsheet would run."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from dprk_relations.access.archive import MAX_ENTRY_BYTES, MAX_TOTAL_BYTES
from dprk_relations.access.load import LoadError, load
from dprk_relations.stages.release import published_versions
from dprk_relations.documents.safety import PLAIN_NUMBER, UnsafeCell, check_release_csvs, formula_cells
from dprk_relations.stages.verify import verify

VERSION = published_versions(REPO / "build")[-1]
RELEASE = REPO / "build" / VERSION
TOP = f"dprk-relations-{VERSION}"


# -- crafting zips ------------------------------------------------------------------------


def make_zip(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """entries: (name, data, mode) with mode a st_mode (0 for none)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


def patch_entry(data: bytes, name: str, **fields) -> bytes:
    """Rewrite header fields of entry ``name`` in both its local and central
    directory headers: flags, method, crc, csize, usize (what a crafted zip lies about)."""
    data = bytearray(data)
    local = {"flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<I"), "csize": (18, "<I"), "usize": (22, "<I")}
    central = {"flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<I"), "csize": (20, "<I"), "usize": (24, "<I")}
    eocd = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack("<HII", data[eocd + 10:eocd + 20])
    pos = cd_offset
    for _ in range(count):
        n, m, k = struct.unpack("<HHH", data[pos + 28:pos + 34])
        entry = data[pos + 46:pos + 46 + n].decode("utf-8")
        if entry == name:
            header = struct.unpack("<I", data[pos + 42:pos + 46])[0]
            for key, value in fields.items():
                for base, table in ((pos, central), (header, local)):
                    off, fmt = table[key]
                    struct.pack_into(fmt, data, base + off, value)
        pos += 46 + n + m + k
    return bytes(data)


def release_zip_with(changes: dict, drop=()) -> bytes:
    """The published release zip with some entries replaced (path below the top dir -> bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(RELEASE / f"{TOP}.zip") as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            rel = info.filename[len(TOP) + 1:]
            if rel in drop:
                continue
            out.writestr(info, changes.get(rel, src.read(info)))
    return buf.getvalue()


def _contained(path: Path, process: bool = False):
    """Run verify (CLI) and load on ``path`` with a fresh working directory and
    temporary directory; return (cli result, LoadError or None) and check that
    nothing was left in either, nor beside the archive."""
    beside = sorted(os.listdir(path.parent))
    with tempfile.TemporaryDirectory() as work:
        tmp, cwd = Path(work, "tmp"), Path(work, "cwd")
        tmp.mkdir()
        cwd.mkdir()
        old = tempfile.tempdir
        tempfile.tempdir = str(tmp)
        try:
            out = run_cli("verify", path, cwd=cwd, env={"TMPDIR": str(tmp)}, process=process)
            err = None
            os.chdir(cwd)
            try:
                load(path)
            except LoadError as exc:
                err = exc
        finally:
            os.chdir(REPO)
            tempfile.tempdir = old
        assert not list(tmp.iterdir()), f"left behind in the temporary directory: {list(tmp.rglob('*'))}"
        assert not list(cwd.iterdir()), f"written to the working directory: {list(cwd.rglob('*'))}"
    assert sorted(os.listdir(path.parent)) == beside, "written beside the archive"
    both = out.stdout + out.stderr
    assert "Traceback" not in both and "internal error" not in both, both
    return out, err


def _refused(tmp_path, data: bytes, reason: str, process: bool = False, named: str = "release.zip"):
    """verify exits 1 with a line 'FAILED <named>: ...' matching ``reason``; load raises LoadError."""
    path = tmp_path / "download" / "release.zip"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    out, err = _contained(path, process=process)
    assert out.returncode == 1, out.stdout + out.stderr
    assert re.search(f"^FAILED {re.escape(named)}: .*({reason})", out.stdout, re.M), out.stdout
    assert err is not None and re.search(reason, str(err)), err
    return out


DP = b'{"resources": []}'
HOSTILE_ENTRIES = {
    "dot-dot": ([("r/datapackage.json", DP, 0o100644), ("../evil.txt", b"x", 0o100644)], "'\\.\\.'"),
    "deep-dot-dot": ([("r/datapackage.json", DP, 0o100644), ("r/a/../../../evil.txt", b"x", 0o100644)], "'\\.\\.'"),
    "absolute": ([("r/datapackage.json", DP, 0o100644), ("/tmp/evil.txt", b"x", 0o100644)], "absolute path"),
    "drive-letter": ([("r/datapackage.json", DP, 0o100644), ("C:/evil.txt", b"x", 0o100644)], "absolute path"),
    "backslash": ([("r/datapackage.json", DP, 0o100644), ("r\\..\\..\\evil.txt", b"x", 0o100644)],
                  "invalid characters"),
    "symlink": ([("r/datapackage.json", DP, 0o100644), ("r/data", b"/etc", 0o120777)], "a link or special file"),
    "fifo": ([("r/datapackage.json", DP, 0o100644), ("r/pipe", b"", stat.S_IFIFO | 0o644)], "a link or special file"),
    "device": ([("r/datapackage.json", DP, 0o100644), ("r/dev", b"", stat.S_IFCHR | 0o644)], "a link or special file"),
    "duplicate": ([("r/datapackage.json", DP, 0o100644), ("r/datapackage.json", b"{}", 0o100644)], "appears twice"),
    "duplicate-spelled-otherwise": ([("r/datapackage.json", DP, 0o100644), ("r/./datapackage.json", b"{}", 0o100644)],
                                    "appears twice"),
    "file-and-directory": ([("r/datapackage.json", DP, 0o100644), ("r/data", b"x", 0o100644),
                            ("r/data/visits.csv", b"x", 0o100644)], "both a file and a directory"),
    "long-name": ([("r/datapackage.json", DP, 0o100644), ("r/" + "a" * 300, b"x", 0o100644)], "the name is too long"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_ENTRIES))
def test_hostile_entries_are_refused_and_nothing_is_written(tmp_path, case):
    entries, reason = HOSTILE_ENTRIES[case]
    with pytest.warns(UserWarning) if case == "duplicate" else contextlib.nullcontext():
        data = make_zip(entries)
    _refused(tmp_path, data, reason, process=case in ("dot-dot", "symlink"))
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_an_entry_declaring_a_huge_size_is_refused_unread(tmp_path):
    data = patch_entry(make_zip([("r/datapackage.json", DP, 0o100644), ("r/big.csv", b"x" * 1000, 0o100644)]),
                       "r/big.csv", usize=MAX_ENTRY_BYTES + 1, csize=MAX_ENTRY_BYTES + 1)
    _refused(tmp_path, data, "declares")


def test_entries_declaring_too_much_in_all_are_refused_unread(tmp_path):
    each = MAX_TOTAL_BYTES // 3 + 1
    data = make_zip([("r/datapackage.json", DP, 0o100644)] + [(f"r/{i}.csv", b"x", 0o100644) for i in range(3)])
    for i in range(3):
        data = patch_entry(data, f"r/{i}.csv", usize=each, csize=each)
    _refused(tmp_path, data, "in all")


def test_a_high_ratio_entry_is_refused_as_a_zip_bomb(tmp_path):
    data = make_zip([("r/datapackage.json", DP, 0o100644), ("r/zeros.csv", b"0" * (8 << 20), 0o100644)])
    _refused(tmp_path, data, "zip bomb", process=True)


def test_an_entry_holding_more_than_it_declares_is_refused(tmp_path):
    # The header says 1000 bytes; the data inflates to a megabyte of random digits.
    payload = os.urandom(1 << 19).hex().encode()
    data = patch_entry(make_zip([("r/datapackage.json", DP, 0o100644), ("r/x.csv", payload, 0o100644)]),
                       "r/x.csv", usize=1000)
    _refused(tmp_path, data, "cannot be read|more bytes than it declares")


def test_an_entry_that_lies_about_size_and_checksum_yields_no_more_than_it_declares(tmp_path):
    """Even with a matching CRC the reader stops at the declared size: a lie in
    the header cannot make an entry write more than the limits allow."""
    payload = os.urandom(1 << 19).hex().encode()
    data = patch_entry(make_zip([("r/x.csv", payload, 0o100644), ("r/datapackage.json", DP, 0o100644)]),
                       "r/x.csv", usize=1000, crc=zlib.crc32(payload[:1000]))
    from dprk_relations.access.archive import extract

    extract_to = tmp_path / "out"
    (tmp_path / "z.zip").write_bytes(data)
    extract(tmp_path / "z.zip", extract_to)
    assert (extract_to / "r/x.csv").stat().st_size == 1000


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, -22, -1])
def test_truncated_release_zips_are_refused(tmp_path, cut):
    data = (RELEASE / f"{TOP}.zip").read_bytes()
    n = int(len(data) * cut) if cut > 0 else len(data) + cut
    _refused(tmp_path, data[:n], "truncated or corrupt")


def test_corrupt_compressed_data_is_refused(tmp_path):
    data = make_zip([("r/datapackage.json", b'{"resources": [' + b"1, " * 2000 + b"1]}", 0o100644)])
    start = 30 + len("r/datapackage.json")
    broken = data[:start + 10] + bytes(b ^ 0x5A for b in data[start + 10:start + 40]) + data[start + 40:]
    _refused(tmp_path, broken, "truncated or corrupt")


def test_encrypted_entries_are_refused(tmp_path):
    data = patch_entry(make_zip([("r/datapackage.json", DP, 0o100644)]), "r/datapackage.json", flags=1)
    _refused(tmp_path, data, "truncated or corrupt")


def test_an_unknown_compression_method_is_refused(tmp_path):
    data = patch_entry(make_zip([("r/datapackage.json", DP, 0o100644)]), "r/datapackage.json", method=99)
    _refused(tmp_path, data, "truncated or corrupt")


def test_a_file_that_does_not_match_its_descriptor_hash_is_refused(tmp_path):
    """Same size, and SHA256SUMS updated to match: only datapackage.json's hash tells."""
    visits = (RELEASE / "data/visits.csv").read_bytes().replace(b"Beijing", b"Beijinx", 1)
    sums = (RELEASE / "SHA256SUMS").read_text().replace(
        hashlib.sha256((RELEASE / "data/visits.csv").read_bytes()).hexdigest(), hashlib.sha256(visits).hexdigest())
    _refused(tmp_path, release_zip_with({"data/visits.csv": visits, "SHA256SUMS": sums.encode()}),
             "datapackage.json: sha256", named="data/visits.csv")


def test_a_descriptor_that_is_not_an_object_is_refused(tmp_path):
    _refused(tmp_path, release_zip_with({"datapackage.json": b"[1, 2, 3]\n"}), "not a usable release|descriptor",
             named="datapackage.json")


def test_a_release_without_hashes_is_not_loaded(tmp_path):
    desc = json.loads((RELEASE / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        res.pop("hash")
    _refused(tmp_path, release_zip_with({"datapackage.json": json.dumps(desc).encode()}), "sha256",
             named="data/visits.csv")


def _consistent(root: Path) -> None:
    """Give a tampered release directory matching sizes, hashes and SHA256SUMS."""
    (root / f"{TOP}.zip").unlink()
    for name in ("datapackage.json", "datapackage-parquet.json"):
        if not (root / name).is_file():
            continue
        desc = json.loads((root / name).read_text(encoding="utf-8"))
        for res in desc["resources"]:
            data = (root / res["path"]).read_bytes()
            res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
        (root / name).write_text(json.dumps(desc, indent=2), encoding="utf-8")
    (root / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n"
        for p in sorted(root.rglob("*")) if p.is_file() and p.name != "SHA256SUMS"), encoding="utf-8")


def _release_with_cell(tmp_path, rel: str, column: str, value: str) -> Path:
    """A copy of the release whose first row of ``rel`` holds ``value`` in ``column``."""
    root = tmp_path / "r"
    shutil.copytree(RELEASE, root)
    path = root / rel
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return root


def test_self_consistent_release_with_a_value_its_schema_forbids(tmp_path):
    """Hashes prove only that files are as the descriptor says: verify validates
    every table too, and load refuses what it cannot type."""
    root = _release_with_cell(tmp_path, "data/aid.csv", "amount", "lots")
    (root / "data/aid.parquet").unlink()  # so that the CSV is what load reads
    for name in ("datapackage.json", "datapackage-parquet.json"):  # the layout before 2.1.0, and since
        if (root / name).is_file():
            desc = json.loads((root / name).read_text(encoding="utf-8"))
            desc["resources"] = [r for r in desc["resources"] if r.get("path") != "data/aid.parquet"]
            (root / name).write_text(json.dumps(desc), encoding="utf-8")
    _consistent(root)
    result = verify(root)
    assert not result.ok and any("data/aid.csv" in f and "type" in m for f, m in result.failures), result.failures
    with pytest.raises(LoadError, match="aid.csv.*schema"):
        load(root, prefer="csv")


def test_self_consistent_release_with_a_formula_fails_verify(tmp_path):
    root = _release_with_cell(tmp_path, "data/visits.csv", "summary", '=HYPERLINK("http://example.com/x","click")')
    _consistent(root)
    result = verify(root)
    assert not result.ok and any("formula" in m for _, m in result.failures), result.failures


def test_a_corrupt_parquet_file_with_a_matching_hash_is_refused_by_load(tmp_path):
    root = tmp_path / "r"
    shutil.copytree(RELEASE, root)
    path = root / "data/visits.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 3:len(data) // 3 + 64] = bytes(64)
    path.write_bytes(bytes(data))
    _consistent(root)
    with pytest.raises(LoadError, match="visits.parquet"):
        load(root)


def test_a_full_temporary_directory_is_a_clear_error(tmp_path, monkeypatch):
    """Unpacking needs room: a write that fails is reported, not raised, and
    the half-unpacked directory is removed."""
    import builtins

    real_open = builtins.open
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    def full_open(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).startswith(str(tmp)) and str(file).endswith(".csv"):
            raise OSError(28, "No space left on device", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(builtins, "open", full_open)
    result = verify(RELEASE / f"{TOP}.zip")
    assert not result.ok and "No space left on device" in result.to_text() and "temporary" in result.to_text()
    with pytest.raises(LoadError, match="No space left on device"):
        load(RELEASE / f"{TOP}.zip")
    assert not list(tmp.iterdir())


# -- no released cell runs in a spreadsheet -------------------------------------------------


def _formula_like(release: Path) -> list:
    desc = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    found = []
    for res in desc["resources"]:
        if res.get("format") != "csv":
            continue
        numeric = {f["name"] for f in res["schema"]["fields"] if f.get("type") in ("integer", "number")}
        rows = csv.reader(io.StringIO((release / res["path"]).read_text(encoding="utf-8"), newline=""))
        header = next(rows)
        for n, row in enumerate(rows, start=2):
            for name, cell in zip(header, row):
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not (
                        name in numeric and PLAIN_NUMBER.match(cell)):
                    found.append((res["path"], n, name, cell))
    return found


@pytest.mark.parametrize("version", published_versions(REPO / "build"))
def test_no_published_csv_cell_starts_like_a_formula(version):
    assert _formula_like(REPO / "build" / version) == []


def test_no_freshly_built_csv_cell_starts_like_a_formula(release):
    assert _formula_like(release) == []


def test_the_release_writer_refuses_a_formula_even_in_a_derived_column():
    schema = {"fields": [{"name": "note", "type": "string"}, {"name": "n", "type": "number"}]}
    ok = b"note,n\nplain,-5\nalso plain,1e3\n"
    assert formula_cells(ok, schema) == []
    check_release_csvs({"data/t.csv": ok}, {"t": schema})
    for bad, where in [(b"note,n\n=1+1,1\n", (2, "note")), (b"note,n\nx,-Infinity\n", (2, "n")),
                       (b"note,n\nx,1\n@cmd,2\n", (3, "note")), (b'note,n\n"\tx",1\n', (2, "note"))]:
        assert formula_cells(bad, schema)[0][:2] == where
        with pytest.raises(UnsafeCell, match=r"data/t\.csv row \d"):
            check_release_csvs({"data/t.csv": bad}, {"t": schema})


def test_a_formula_in_a_derived_column_stops_the_build_and_writes_nothing(pkg, monkeypatch):
    import dprk_relations.stages.derive

    real = dprk_relations.stages.derive.derive

    def derive(package, typed):
        tables = real(package, typed)  # source_ids is derived: the validator never saw it
        tables["visits"].typed.loc[0, "source_ids"] = "=cmd|' /C calc'!A0"
        return tables

    monkeypatch.setattr(dprk_relations.stages.derive, "derive", derive)
    out = run_cli("build", pkg.root)
    assert out.returncode == 1 and "data/visits.csv row 2 [source_ids]" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert not (pkg.root / "build").exists() or not [p for p in (pkg.root / "build").iterdir()
                                                       if not p.name.startswith(".")]


def test_a_formula_in_raw_data_stops_the_build_and_writes_nothing(pkg):
    line = pkg.find("raw/events.csv", "event_id", "1960-china-famine")
    pkg.set_cell("raw/events.csv", line, "summary", "@SUM(1+1)*cmd|' /C calc'!A0")
    out = run_cli("build", pkg.root)
    assert out.returncode == 1 and "[formula]" in out.stdout and "nothing was written" in out.stderr
    assert not (pkg.root / "build").exists() or not [p for p in (pkg.root / "build").iterdir()
                                                       if not p.name.startswith(".")]


def test_a_version_that_is_a_path_stops_the_build_and_writes_nothing(pkg, tmp_path):
    desc = json.loads(pkg.path("datapackage.json").read_text())
    desc["version"] = "../../escaped"
    pkg.path("datapackage.json").write_text(json.dumps(desc))
    before = sorted(p.name for p in tmp_path.iterdir())
    out = run_cli("build", pkg.root)
    assert out.returncode == 1 and "version" in out.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before and not (pkg.root / "build").exists()

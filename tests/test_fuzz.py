"""Fuzzing: arbitrary bytes and mutations of the real files, fed to validate,
verify and load (the whole pipeline runs on the tests' sample of the package and
its release, see sample.py; the CSV reader on the real files). The only outcomes allowed are a clean pass or a clean error
report: a Report (valid or not), a VerifyResult, a LoadError, or exit code
0, 1 or 2 from the command line. Any other exception, exit code 3 (the
command's "internal error") or a traceback fails the test.

CI runs a bounded, derandomized number of examples. A longer campaign with
fresh random inputs:

    DPRK_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py

(DPRK_FUZZ_EXAMPLES sets every test's number of examples; the slow tests,
which run the whole pipeline, get a tenth of it.)
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import REPO, SOURCE_DIRS, copy_package, run_cli
from dprk_relations.model.csvfile import parse_bytes
from dprk_relations.access.load import LoadError, load
from dprk_relations.model.package import PackageError, load_package
from dprk_relations.model.problems import RULES
from dprk_relations.stages.validate import validate
from dprk_relations.stages.verify import VerifyResult, verify

LONG = int(os.environ.get("DPRK_FUZZ_EXAMPLES", "0"))
PACKAGE = load_package(REPO)
TABLES = sorted(PACKAGE.tables)
RAW = {name: (REPO / t.path).read_bytes() for name, t in PACKAGE.tables.items()}


def budget(ci: int, slow: bool = False):
    """CI: ``ci`` examples, the same ones every run. Long run: DPRK_FUZZ_EXAMPLES, random."""
    n = max(ci, LONG // 10 if slow else LONG) if LONG else ci
    # Shrinking a slow example can take many minutes: report the example as found.
    phases = [Phase.explicit, Phase.generate] if slow else [Phase.explicit, Phase.generate, Phase.shrink]
    return settings(max_examples=n, deadline=None, derandomize=not LONG, database=None, print_blob=True,
                    phases=phases, suppress_health_check=list(HealthCheck))


# -- strategies -------------------------------------------------------------------

# Values that have broken parsers somewhere: numbers in odd spellings, dates at
# the edges, Unicode digits and spaces, formula starts, EDTF oddities.
NASTY = ["", " ", "\u00a0", "\ufeff", "\u200b", "NaN", "nan", "sNaN", "-sNaN12", "Infinity", "-inf", "1e309",
         "-0", "0", "00", "0x10", "1_000", "1,000", "\u0661\u0662\u0663", "\uff11\uff12", "1.", ".5", "1e-400",
         "99999999999999999999999999", "-99999999999999999999", "2**64", "true", "TRUE", "1", "yes", "None",
         "null", "1961-02-29", "2000-02-29", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", "1961-1-1",
         "1961/1964", "1961-1964", "../..", "/", "..", "1960?~", "19XX", "196X-01", "XXXX", "1960-21", "-1960",
         "+1961", "=1+1", "@SUM(A1)", "\t1", "\r1", "-", "'", '"', '""', "\\", "\n", "a\nb", "\x00", "\x7f",
         "\ud7ff", "\U0001f600", "chn", "CHN", "prk", " chn", "chn ", "sun-2018-kim-jong-un-goes-to-china",
         "a" * 5000, "9" * 400, "1" * 16, "1.0000000000000001", "1e15", "-1e15", "1e16"]

cell_values = st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                        st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
                        st.from_regex(r"[0-9X]{4}(-[0-9]{2}(-[0-9]{2})?)?[?~%]?(/[0-9X.]{0,10})?", fullmatch=True))


@st.composite
def byte_mutation(draw, data: bytes) -> bytes:
    """One or more edits of a byte string: flip, delete, insert, duplicate, swap lines, truncate."""
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "dup-line", "del-line", "swap-lines", "truncate",
                                   "insert-text"]))
        n = len(data)
        at = draw(st.integers(0, max(0, n - 1)))
        if op == "flip" and n:
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)):]
        elif op == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        elif op == "insert-text":
            data = data[:at] + draw(st.sampled_from(NASTY + [",", ";", '"', "\r\n", "\r"])).encode(
                "utf-8", "surrogatepass") + data[at:]
        elif op == "truncate":
            data = data[:at]
        else:
            lines = data.split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if op == "dup-line":
                lines.insert(j, lines[i])
            elif op == "del-line" and len(lines) > 1:
                del lines[i]
            elif op == "swap-lines":
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
    return data


@st.composite
def cell_mutation(draw, data: bytes) -> bytes:
    """Set a few cells of a real CSV to arbitrary or nasty values (written as valid CSV)."""
    import csv

    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    for _ in range(draw(st.integers(1, 3))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = draw(cell_values)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8", "surrogatepass")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=20)
    | st.sampled_from(["string", "integer", "number", "date", "boolean", "any", "../x", "/etc/passwd", "raw",
                       "raw/visits.csv", "schemas/visits.json", "sha256:" + "0" * 64, "table", "file"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)


@st.composite
def json_mutation(draw, obj):
    """Walk into a JSON document and replace, delete, or add a value somewhere."""
    obj = copy.deepcopy(obj)
    for _ in range(draw(st.integers(1, 3))):
        parent, key, node = None, None, obj
        while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)) > 0:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            parent, key = node, draw(st.sampled_from(keys))
            node = node[key]
        op = draw(st.sampled_from(["replace", "delete", "add", "retype"]))
        if parent is None:
            if op == "replace":
                obj = draw(json_values)
            continue
        if op == "delete":
            del parent[key]
        elif op == "add" and isinstance(node, dict):
            node[draw(st.text(max_size=10))] = draw(json_values)
        elif op == "add" and isinstance(node, list):
            node.insert(draw(st.integers(0, len(node))), draw(json_values))
        elif op == "retype":
            parent[key] = draw(st.sampled_from([str(node), [node], {"x": node}, None, 0, ""]))
        else:
            parent[key] = draw(json_values)
    return obj


# -- oracles ------------------------------------------------------------------------


def clean_report(report) -> None:
    for p in report.problems:
        assert p.rule in RULES, p
        assert isinstance(p.message, str) and p.message.strip() and isinstance(p.fix, str) and p.fix.strip(), p
        assert p.line is None or (isinstance(p.line, int) and p.line >= 1), p
    report.to_text()
    json.loads(report.to_json())


def releasable(root: Path) -> None:
    """What the validator accepts, the release writer must be able to write
    (in a long run: every file of the release, in memory)."""
    from dprk_relations.stages.build import read_changelog, release_contents, release_tables

    package, tables, report = release_tables(root, sources=SOURCE_DIRS)
    assert package is not None, report.to_text()
    if LONG:
        release_contents(package, tables, package.version or "0.0.0", package.descriptor.get("created"),
                         read_changelog(root))


def clean_exit(out, allowed=(0, 1, 2)) -> None:
    both = out.stdout + out.stderr
    assert out.returncode in allowed, both[-2000:]
    assert "Traceback" not in both and "internal error" not in both, both[-2000:]


@contextmanager
def package_copy(sample: Path):
    with tempfile.TemporaryDirectory(prefix="dprk-fuzz-") as tmp:
        yield copy_package(sample, Path(tmp) / "pkg")


@contextmanager
def contained():
    """A fresh temporary directory and working directory; fail if anything is left in either."""
    import tempfile as tf

    with tf.TemporaryDirectory(prefix="dprk-fuzz-tmp-") as tmp, tf.TemporaryDirectory(prefix="dprk-fuzz-cwd-") as cwd:
        old_tmp, old_cwd = tf.tempdir, os.getcwd()
        tf.tempdir = tmp
        os.chdir(cwd)
        try:
            yield Path(cwd)
        finally:
            tf.tempdir = old_tmp
            os.chdir(old_cwd)
        assert not os.listdir(tmp), f"left in the temporary directory: {os.listdir(tmp)}"
        assert not os.listdir(cwd), f"written to the working directory: {os.listdir(cwd)}"


# -- raw CSV: the reader, then the whole validator --------------------------------------


@budget(150)
@given(table=st.sampled_from(TABLES), data=st.binary(max_size=3000))
def test_arbitrary_bytes_are_read_cleanly(table, data):
    raw = parse_bytes(PACKAGE.tables[table], data)
    assert raw.problems or raw.frame is not None
    for p in raw.problems:
        assert p.rule in RULES and p.message and p.fix


@budget(150)
@given(table=st.sampled_from(TABLES), mutate=st.sampled_from(["bytes", "cells"]), data=st.data())
def test_mutated_real_csv_is_read_cleanly(table, mutate, data):
    strategy = byte_mutation if mutate == "bytes" else cell_mutation
    raw = parse_bytes(PACKAGE.tables[table], data.draw(strategy(RAW[table])))
    for p in raw.problems:
        assert p.rule in RULES and p.message and p.fix


@budget(10, slow=True)
@given(table=st.sampled_from(TABLES), mutate=st.sampled_from(["bytes", "cells", "arbitrary"]), data=st.data())
def test_validate_survives_mutated_raw_data(sample, table, mutate, data):
    raw = (sample / PACKAGE.tables[table].path).read_bytes()
    if mutate == "arbitrary":
        new = data.draw(st.binary(max_size=2000))
    else:
        new = data.draw((byte_mutation if mutate == "bytes" else cell_mutation)(raw))
    with package_copy(sample) as root:
        (root / PACKAGE.tables[table].path).write_bytes(new)
        report = validate(root, sources=SOURCE_DIRS)
        clean_report(report)
        if report.valid:
            releasable(root)


@budget(5, slow=True)
@given(table=st.sampled_from(TABLES), data=st.data())
def test_the_validate_command_survives_mutated_raw_data(sample, table, data):
    raw = (sample / PACKAGE.tables[table].path).read_bytes()
    new = data.draw(st.one_of(byte_mutation(raw), cell_mutation(raw)))
    with package_copy(sample) as root:
        (root / PACKAGE.tables[table].path).write_bytes(new)
        before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
        clean_exit(run_cli("validate", root, "--format", "json", "--engine", "pandera"))
        assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


DESCRIPTOR_FILES = ["datapackage.json"] + sorted(f"schemas/{n}.json" for n in TABLES)


@budget(25, slow=True)
@given(file=st.sampled_from(DESCRIPTOR_FILES), how=st.sampled_from(["json", "bytes"]), data=st.data())
def test_validate_survives_mutated_descriptor_and_schemas(sample, file, how, data):
    original = (sample / file).read_bytes()
    if how == "json":
        new = json.dumps(data.draw(json_mutation(json.loads(original))), ensure_ascii=False, allow_nan=True)
        new = new.encode("utf-8", "surrogatepass")
    else:
        new = data.draw(byte_mutation(original))
    with package_copy(sample) as root:
        (root / file).write_bytes(new)
        try:
            load_package(root)
        except PackageError as exc:
            assert exc.problems and all(p.rule in RULES and p.message for p in exc.problems)
        report = validate(root, sources=SOURCE_DIRS)
        clean_report(report)
        if report.valid:
            releasable(root)


# -- downloaded releases: verify and load -----------------------------------------------


def _verify_and_load(path: Path, cli: bool = False) -> VerifyResult:
    with contained():
        result = verify(path)
        assert isinstance(result, VerifyResult)
        assert result.ok or result.to_text().strip()  # a refusal says why
        try:
            tables = load(path)
        except LoadError as exc:
            assert str(exc)
            # What verify accepts, load reads: the two apply the same schemas to the same files.
            assert not result.ok, f"verify accepted what load refuses: {exc}"
        else:
            assert tables and all(len(frame.columns) for frame in tables.values())
        if cli:
            clean_exit(run_cli("verify", path), allowed=(0, 1))
    return result


@budget(60)
@given(data=st.one_of(st.binary(max_size=4000), st.binary(max_size=64).map(lambda b: b"PK\x03\x04" + b)))
def test_arbitrary_bytes_as_a_release_zip(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("zip") / "release.zip"
    path.write_bytes(data)
    assert not _verify_and_load(path).ok


def _zip(release: Path) -> Path:
    return release / f"dprk-relations-{PACKAGE.version}.zip"


@budget(40)
@given(data=st.data())
def test_mutated_release_zip(tmp_path_factory, release, data):
    original = _zip(release).read_bytes()
    new = data.draw(byte_mutation(original))
    path = tmp_path_factory.mktemp("zip") / "release.zip"
    path.write_bytes(new)
    result = _verify_and_load(path, cli=data.draw(st.integers(0, 9)) == 0)
    if new != original and result.ok:  # a change that verify accepts must leave every file intact
        with zipfile.ZipFile(path) as a, zipfile.ZipFile(_zip(release)) as b:
            assert sorted(a.namelist()) == sorted(b.namelist())
            assert all(a.read(n) == b.read(n) for n in b.namelist())


def _rehash(root: Path) -> None:
    """Make a tampered release self-consistent: sizes and hashes in the descriptor
    and SHA256SUMS match the files, so only the deeper checks can catch it."""
    (root / _zip(root).name).unlink(missing_ok=True)
    desc_path = root / "datapackage.json"
    try:
        desc = json.loads(desc_path.read_text(encoding="utf-8"))
        for res in desc.get("resources", []):
            path = root / str(res.get("path", ""))
            if isinstance(res, dict) and isinstance(res.get("path"), str) and path.is_file():
                data = path.read_bytes()
                res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
        desc_path.write_text(json.dumps(desc, indent=2, ensure_ascii=False), encoding="utf-8")
    except (ValueError, AttributeError, TypeError, OSError):
        pass  # an unreadable descriptor stays as the mutation left it
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n"
             for p in sorted(root.rglob("*")) if p.is_file() and p.name != "SHA256SUMS"]
    (root / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


@budget(10, slow=True)
@given(target=st.sampled_from(["datapackage.json", "csv", "parquet"]), data=st.data())
def test_a_self_consistent_tampered_release(tmp_path_factory, release, target, data):
    root = tmp_path_factory.mktemp("rel") / "release"
    shutil.copytree(release, root)
    if target == "datapackage.json":
        desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
        new = json.dumps(data.draw(json_mutation(desc)), ensure_ascii=False).encode("utf-8", "surrogatepass")
        (root / "datapackage.json").write_bytes(new)
    else:
        name = data.draw(st.sampled_from(TABLES))
        path = root / "data" / f"{name}.{target}"
        if target == "csv":
            strategy = st.one_of(byte_mutation(path.read_bytes()), cell_mutation(path.read_bytes()))
        else:
            strategy = byte_mutation(path.read_bytes())
        path.write_bytes(data.draw(strategy))
    _rehash(root)
    _verify_and_load(root)

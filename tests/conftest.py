"""Shared fixtures: the sample of the real package (sample.py), broken copies of it, its
release and the whole real package's, and the source texts."""

from __future__ import annotations

import csv
import gc
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SOURCE_DIRS = [SHARED / "sources", SHARED / "reference"]
PACKAGE_PARTS = ("datapackage.json", "schemas", "raw")


def pytest_collection_finish(session):
    """The collector's garbage pass walks every object it tracks, and after collection that is
    every imported module (pandas, pyarrow, frictionless, matplotlib): freeze them out of it,
    and run it every 50,000 new containers instead of 700. Interleaved builds and validations
    of the sample took 8% (frozen) and 14% (both) less processor time (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@pytest.fixture(scope="session", autouse=True)
def sources_env():
    """Point the validator at the source texts, as the Makefile does for CI, and keep
    frictionless in the checking process: the suite's workers already keep every core
    busy, where a second process per validate only adds its start-up. The tests of the
    second process itself (test_broken_input, test_build) ask for it."""
    old = {k: os.environ.get(k) for k in ("DPRK_RELATIONS_SOURCES", "DPRK_RELATIONS_PROCESSES")}
    os.environ["DPRK_RELATIONS_SOURCES"] = os.pathsep.join(map(str, SOURCE_DIRS))
    os.environ["DPRK_RELATIONS_PROCESSES"] = "1"
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def made_once(tmp_path_factory, name: str, make) -> Path:
    """``make(dir)`` once per run, for every worker: under pytest-xdist the first worker to
    come makes it in the run's shared temporary directory and the others wait for it there.
    What it makes is only read (a test copies it to change it)."""
    import fcntl

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # this run's, beside each worker's own
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / f"{name}.made"
        if not done.exists():
            done.write_text(str(make(shared / name)), encoding="utf-8")
        return Path(done.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Path:
    """The sample of the real package that the tests of behaviour run on (see sample.py)."""
    from sample import sample_package

    def make(base: Path) -> Path:
        sample_package(REPO, base / "pkg")
        return base / "pkg"

    return made_once(tmp_path_factory, "sample", make)


def copy_package(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for part in PACKAGE_PARTS:
        (shutil.copytree if (src / part).is_dir() else shutil.copy2)(src / part, dest / part)
    return dest


@pytest.fixture(scope="session")
def release(tmp_path_factory, sample) -> Path:
    """A release built from a copy of the sample; tests only read it (copy it to change it)."""
    from dprk_relations.stages.build import build

    return made_once(tmp_path_factory, "release", lambda base: build(copy_package(sample, base / "pkg")).path)


@pytest.fixture(scope="session")
def real_release(tmp_path_factory, repo) -> Path:
    """A release built from a copy of the whole real package, for the tests of what the
    real data's release says (its counts); tests only read it."""
    from dprk_relations.stages.build import build

    return made_once(tmp_path_factory, "real", lambda base: build(copy_package(repo, base / "pkg")).path)


@pytest.fixture(scope="session")
def rscript() -> str:
    """Rscript, which the R tests need (a missing R is a failure, not a skip)."""
    path = shutil.which("Rscript")
    if path is None:
        pytest.fail("Rscript is not on PATH: the R tests need R with readr, jsonlite and digest. "
                    "`make test` installs them from Debian via scripts/install-system-deps.sh.")
    return path


@pytest.fixture(scope="session")
def source_dirs() -> list[Path]:
    missing = [d for d in SOURCE_DIRS if not d.is_dir()]
    assert not missing, f"the source texts must lie beside the repository: {missing}"
    return SOURCE_DIRS


class Copy:
    """A throw-away copy of the package, with helpers to damage it."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def rows(self, rel: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.path(rel).read_text(encoding="utf-8"), newline="")))

    def write_rows(self, rel: str, rows) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        self.path(rel).write_bytes(buf.getvalue().encode("utf-8"))

    def set_cell(self, rel: str, line: int, column: str, value: str) -> str:
        """Set the cell at spreadsheet row ``line``; return the old value."""
        rows = self.rows(rel)
        col = rows[0].index(column)
        old = rows[line - 1][col]
        rows[line - 1][col] = value
        self.write_rows(rel, rows)
        return old

    def find(self, rel: str, column: str, value: str) -> int:
        """Spreadsheet row of the first row whose ``column`` equals ``value``."""
        rows = self.rows(rel)
        col = rows[0].index(column)
        return next(i for i, r in enumerate(rows[1:], start=2) if r[col] == value)

    def delete_row(self, rel: str, line: int) -> list[str]:
        rows = self.rows(rel)
        gone = rows.pop(line - 1)
        self.write_rows(rel, rows)
        return gone


@pytest.fixture
def pkg(tmp_path, sample) -> Copy:
    """A throw-away copy of the sample."""
    return Copy(copy_package(sample, tmp_path / "pkg"))


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_cli(*args, cwd=None, env=None, process=False) -> Result:
    """Run the command line: in-process through click's runner (fast), or with
    ``process=True`` as a real process, exactly as a user runs it."""
    full_env = dict(os.environ)
    full_env.pop("DPRK_RELATIONS_DEBUG", None)
    full_env.update(env or {})
    if process:
        out = subprocess.run([sys.executable, "-m", "dprk_relations", *map(str, args)], cwd=cwd,
                             capture_output=True, text=True, env=full_env)
        return Result(out.returncode, out.stdout, out.stderr)
    from click.testing import CliRunner

    from dprk_relations.cli import main

    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        res = CliRunner().invoke(main, [str(a) for a in args], env={k: v for k, v in (env or {}).items()},
                                 catch_exceptions=False)
    finally:
        os.chdir(old)
    return Result(res.exit_code, res.stdout, res.stderr)

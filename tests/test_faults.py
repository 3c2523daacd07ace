"""Faults: builds and releases killed with SIGKILL at each stage, two builds at
once, a read-only build/ and a full disk.

Each scenario runs in its own copy of the package (the tests' sample, with
its release LATEST built once here beside the repository's release OLDER),
as a real process (tests/fault_child.py pauses it at the stage named, where
it is killed). The processes are forked from this one once it has built
LATEST, so each costs a build, not an interpreter start and the imports
(test_cli, test_broken_input and test_fuzz start the command as a user does);
the two that need another program in front of them (setpriv) are started.
The scenarios run side by side in a module fixture, a few processes at a
time (DPRK_FAULT_PROCESSES, default 6), so that they share the time the
processes take; the tests then check what each one left (set
DPRK_FAULT_NO_MOUNT=1 to try, as root, what runs where no tmpfs can be
mounted):

- the published releases and raw/ byte-identical, no partial directory;
- the next command (build, or release again) completes the job, with the
  same bytes as a run that was never interrupted.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REPO, copy_package
from fault_child import Forked
from dprk_relations.stages.build import build as build_release, same_tree
from dprk_relations.stages.release import published_versions

PUBLISHED = published_versions(REPO / "build")
LATEST, OLDER = PUBLISHED[-1], PUBLISHED[-2]
NEXT = f"{LATEST.rsplit('.', 1)[0]}.{int(LATEST.rsplit('.', 1)[1]) + 1}"  # the patch release a value change makes
DAY = "2026-12-24"
CHILD = Path(__file__).with_name("fault_child.py")
TIMEOUT = 600
# A value change that a patch release publishes.
CHANGE = ("raw/events.csv", "1960-china-famine", "confidence", "medium")


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **extra)
    env.pop("DPRK_RELATIONS_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def tree(root: Path) -> dict:
    """Every file below root (hidden ones too) -> sha256."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def intact(release: Path) -> bool:
    """Every file listed in SHA256SUMS is there with its hash, and nothing else but the zip."""
    sums = release / "SHA256SUMS"
    if not sums.is_file():
        return False
    listed = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        listed[rel] = digest
    files = tree(release)
    extra = set(files) - set(listed) - {"SHA256SUMS"}
    return all(files.get(rel) == d for rel, d in listed.items()) and all(e.endswith(".zip") for e in extra)


def make_origin(sample: Path, root: Path) -> Path:
    """What every scenario copies: the sample, the repository's changelog and citation, the
    repository's release OLDER, and the sample's release LATEST, built here."""
    copy_package(sample, root)
    for name in ("CHANGELOG.md", "CITATION.cff"):
        shutil.copy2(REPO / name, root / name)
    built = build_release(root)
    assert (built.status, built.version) == ("built", LATEST), built.status
    shutil.copytree(REPO / "build" / OLDER, root / "build" / OLDER)
    return root


def make_package(root: Path, origin: Path, releases=(), change=False, stale_preview=False) -> Path:
    root.mkdir(parents=True)
    for part in ("datapackage.json", "schemas", "raw", "CHANGELOG.md", "CITATION.cff"):
        src = origin / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / part)
    for version in releases:
        shutil.copytree(origin / "build" / version, root / "build" / version)
    if stale_preview:
        shutil.copytree(origin / "build" / OLDER, root / "build" / "unreleased")
    if change:
        import csv
        import io

        rel, key, column, value = CHANGE
        rows = list(csv.reader(io.StringIO((root / rel).read_text(encoding="utf-8"), newline="")))
        c = rows[0].index(column)
        next(r for r in rows if r[0] == key)[c] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        (root / rel).write_bytes(buf.getvalue().encode("utf-8"))
    return root


@dataclass
class Scenario:
    name: str
    setup: dict  # make_package options
    args: list  # the command, with {pkg} for the package directory
    stage: str = "none"  # where to kill it (none: let it run)
    recover: list | None = None  # the command that finishes the job after the kill
    root: Path | None = None
    proc: Forked | subprocess.Popen | None = None
    marker: Path | None = None
    reached: bool = False
    before: dict = field(default_factory=dict)
    after_kill: dict = field(default_factory=dict)
    left: dict = field(default_factory=dict)  # the hidden temporary directories a kill left: name -> tree
    listing: list = field(default_factory=list)
    returncode: int | None = None
    output: str = ""
    recovery: subprocess.CompletedProcess | None = None
    recovery_proc: Forked | None = None


NEW = {"releases": (OLDER,)}  # build/<LATEST> not yet there: build writes it
CHANGED = {"releases": (OLDER, LATEST), "change": True, "stale_preview": True}  # build writes build/unreleased
PUBLISHABLE = {"releases": (OLDER, LATEST), "change": True}  # release publishes NEXT
BUILD = ["build", "{pkg}"]
RELEASE = ["release", "--package-dir", "{pkg}", "--date", DAY]

# Each stage where the state on disk differs; the next command is run where
# there is something to finish or clean up (recover), not everywhere, to keep
# the test quick.
KILLS = [
    Scenario("build-validated", NEW, BUILD, "validated"),
    Scenario("build-half-written", NEW, BUILD, "half-written", BUILD),
    Scenario("build-renamed", NEW, BUILD, "renamed"),
    Scenario("preview-swapped", CHANGED, BUILD, "swapped", BUILD),
    Scenario("release-changelog-written", PUBLISHABLE, RELEASE, "changelog-written", RELEASE),
    Scenario("release-descriptor-written", PUBLISHABLE, RELEASE, "descriptor-written"),
    Scenario("release-written", PUBLISHABLE, RELEASE, "written", BUILD),
]
RECOVERED = [s.name for s in KILLS if s.recover]


def _start(s: Scenario, base: Path, origin: Path, cmd_prefix=(), preexec=None, env=None) -> None:
    s.root = s.root or make_package(base / s.name / "pkg", origin, **s.setup)
    (base / s.name).mkdir(exist_ok=True)
    s.marker = base / s.name / "marker"
    args = [a.replace("{pkg}", str(s.root)) for a in s.args]
    s.before.update(raw=tree(s.root / "raw"),
                    published={v: tree(s.root / "build" / v) for v in s.setup.get("releases", ())})
    if not cmd_prefix:
        s.proc = Forked(s.stage, s.marker, args, base / s.name / "output", base / s.name, env or _env(), preexec)
        return
    with open(base / s.name / "output", "w") as out:
        s.proc = subprocess.Popen([*cmd_prefix, sys.executable, str(CHILD), s.stage, str(s.marker), "--", *args],
                                  stdout=out, stderr=subprocess.STDOUT, env=env or _env(), preexec_fn=preexec,
                                  cwd=base / s.name)


def _finish(s: Scenario, base: Path) -> None:
    s.returncode = s.proc.wait(timeout=TIMEOUT)
    s.output = (base / s.name / "output").read_text()


# -- environments for the disk faults ----------------------------------------------------------


def _can_mount(where: Path) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
    return ok


def _fsize_limit(limit: int):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    return preexec


def _read_only_prefix() -> tuple[list, str] | None:
    """How to make a chmod 0555 directory unwritable for the child: as root,
    drop every capability (CAP_DAC_OVERRIDE lets root write anywhere)."""
    if os.geteuid() != 0:
        return [], "chmod 0555"
    if shutil.which("setpriv"):
        probe = subprocess.run(["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", "true"],
                               capture_output=True)
        if probe.returncode == 0:
            return ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"], "chmod 0555, root without capabilities"
    return None


class Pool:
    """Run jobs as processes, at most ``limit`` at a time (a paused child holds
    its memory); a job is (slots, start, poll), and poll returns True when done
    (it may add more jobs)."""

    def __init__(self, limit: int):
        self.limit, self.waiting, self.running = limit, [], []

    def add(self, slots: int, start, poll) -> None:
        self.waiting.append((slots, start, poll))

    def run(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.waiting or self.running:
            while self.waiting and (not self.running or sum(j[0] for j in self.running) + self.waiting[0][0]
                                    <= self.limit):
                job = self.waiting.pop(0)
                job[1]()
                self.running.append(job)
            for job in list(self.running):
                if job[2]():
                    self.running.remove(job)
            if time.monotonic() > deadline:
                raise TimeoutError("fault scenarios did not finish in time")
            time.sleep(0.05)


def _record_kill(s: Scenario, base: Path) -> None:
    if s.proc.poll() is None:
        s.proc.send_signal(signal.SIGKILL)
    _finish(s, base)
    build = s.root / "build"
    s.listing = sorted(p.name for p in build.iterdir()) if build.is_dir() else []
    s.left = {p.name: tree(p) for p in build.glob(".tmp-*")} if build.is_dir() else {}
    s.after_kill = {"raw": tree(s.root / "raw"),
                    "published": {v: tree(build / v) for v in s.before["published"]},
                    "repo": {n: (s.root / n).read_bytes() for n in ("datapackage.json", "CHANGELOG.md",
                                                                    "CITATION.cff")}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sample):
    base = tmp_path_factory.mktemp("faults")
    origin = make_origin(sample, base / "origin")
    mounts, procs = [], []
    pool = Pool(int(os.environ.get("DPRK_FAULT_PROCESSES", "6")))
    can_mount = not os.environ.get("DPRK_FAULT_NO_MOUNT") and _can_mount(base / "probe")

    def started(s, **kw):
        _start(s, base, origin, **kw)
        procs.append(s.proc)

    # -- kill each at its stage, then run the command that finishes the job
    def kill_job(s):
        def poll():
            if not s.marker.exists() and s.proc.poll() is None:
                return False
            s.reached = s.marker.exists()
            _record_kill(s, base)
            if s.recover:
                pool.add(1, lambda: recover_start(s), lambda: recover_poll(s))
            return True
        pool.add(1, lambda: started(s), poll)

    def recover_start(s):
        args = [a.replace("{pkg}", str(s.root)) for a in s.recover]
        s.recovery_proc = Forked("none", base / s.name / "recovery.marker", args, base / s.name / "recovery.out",
                                 base / s.name, _env(), errors=base / s.name / "recovery.err")
        procs.append(s.recovery_proc)

    def recover_poll(s):
        if s.recovery_proc.poll() is None:
            return False
        s.recovery = subprocess.CompletedProcess([], s.recovery_proc.returncode,
                                                 (base / s.name / "recovery.out").read_text(),
                                                 (base / s.name / "recovery.err").read_text())
        return True

    for s in KILLS:
        kill_job(s)

    # -- two builds at once: the one holding the lock waits there, the other is refused; then let it go
    race = [Scenario(f"race-{i}", NEW, BUILD, "locked") for i in range(2)]
    outcome = {}

    def race_start():
        root = make_package(base / "race" / "pkg", origin, **NEW)
        for r in race:
            r.root = root
            started(r)

    def race_poll():
        holder = next((r for r in race if r.marker.exists()), None)
        if holder is None:
            if all(r.proc.poll() is not None for r in race):  # neither reached the lock: report it
                outcome.update(holder=None, other=None)
                for r in race:
                    _finish(r, base)
                return True
            return False
        other = next(r for r in race if r is not holder)
        if other.proc.poll() is None:
            return False
        Path(str(holder.marker) + ".go").touch()
        if holder.proc.poll() is None:
            return False
        for r in race:
            _finish(r, base)
        outcome.update(holder=holder, other=other)
        return True

    pool.add(2, race_start, race_poll)

    # -- disk faults: each a build (or release) that must fail cleanly. Where a
    # tmpfs can be mounted (root with CAP_SYS_ADMIN), a real full disk and a real
    # read-only file system; elsewhere a file size limit (EFBIG). A directory
    # without write permission too (for root: with every capability dropped).
    disk = {}

    def disk_job(s, how, prepare=None, **kw):
        def start():
            if prepare:
                prepare(s)
            started(s, **kw)

        def poll():
            if s.proc.poll() is None:
                return False
            _finish(s, base)
            if (s.root / "build").is_dir():
                (s.root / "build").chmod(0o755)
            return True
        disk[s.name] = (s, how)
        pool.add(1, start, poll)

    if can_mount:
        for name, opts in (("full-disk", "size=256k"), ("read-only-mount", "ro,size=64k")):
            def mount(s, opts=opts):
                out = base / s.name / "out"
                out.mkdir(parents=True)
                subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(out)], check=True)
                mounts.append(out)
                s.args = [a.replace("{out}", str(out)) for a in s.args]
            disk_job(Scenario(name, NEW, ["build", "{pkg}", "--out", "{out}"]), f"tmpfs mounted with {opts}", mount)
    # Runs everywhere: a file size limit is a refusal of its own (EFBIG), and where
    # no tmpfs can be mounted it stands in for the full disk.
    disk_job(Scenario("file-size-limit", NEW, BUILD), "RLIMIT_FSIZE 200 kB: writes past it fail with EFBIG",
             preexec=_fsize_limit(200_000))
    ro = _read_only_prefix()
    if ro is not None:
        for name, setup, args in (("read-only-build", NEW, BUILD), ("read-only-release", PUBLISHABLE, RELEASE)):
            def protect(s):
                s.root = make_package(base / s.name / "pkg", origin, **s.setup)
                (s.root / "build").chmod(0o555)
                s.before["all"] = tree(s.root)
            disk_job(Scenario(name, setup, args), ro[1], protect, cmd_prefix=ro[0])
    try:
        pool.run(2 * TIMEOUT)
        yield {"kills": {s.name: s for s in KILLS}, "race": (race, outcome.get("holder"), outcome.get("other")),
               "disk": disk, "can_mount": can_mount, "base": base, "origin": origin}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for m in mounts:
            subprocess.run(["umount", "-l", str(m)], capture_output=True)
        for s, _ in disk.values():
            if s.root is not None and (s.root / "build").is_dir():
                (s.root / "build").chmod(0o755)


# -- killed at each stage ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [s.name for s in KILLS])
def test_a_kill_leaves_published_releases_and_raw_data_untouched(runs, name):
    s = runs["kills"][name]
    assert s.reached, f"never reached stage {s.stage}:\n{s.output[-3000:]}"
    assert s.returncode == -signal.SIGKILL
    assert s.after_kill["raw"] == s.before["raw"], "raw/ changed"
    assert s.after_kill["published"] == s.before["published"], "a published release changed"
    build = s.root / "build"
    visible = [n for n in s.listing if not n.startswith(".")]
    allowed = set(s.before["published"]) | {LATEST, NEXT, "unreleased"}
    assert set(visible) <= allowed, visible
    for n in visible:  # whatever is in place is complete; the hidden temporary dirs are the only leftovers
        if n not in s.before["published"] and (build / n).exists():
            assert intact(build / n), f"build/{n} is incomplete"


@pytest.mark.parametrize("name", RECOVERED)
def test_the_next_command_finishes_the_job_and_cleans_up(runs, name):
    s = runs["kills"][name]
    r = s.recovery
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    build = s.root / "build"
    assert not list(build.glob(".tmp-*")), "a killed build's temporary directory was left"
    assert tree(s.root / "raw") == s.before["raw"]
    for v, t in s.before["published"].items():
        assert tree(build / v) == t
    if s.setup is NEW:  # the release built without a kill, to the byte
        assert same_tree(build / LATEST, runs["origin"] / "build" / LATEST)
    elif s.setup is CHANGED:
        assert intact(build / "unreleased")
    else:  # a release finished after a kill is the release the killed one was about to put in place
        ref = runs["kills"]["release-written"]
        (complete,) = ref.left.values()  # killed just before its rename: the whole release, hidden
        assert tree(build / NEXT) == complete
        for n in ("datapackage.json", "CHANGELOG.md", "CITATION.cff"):
            assert (s.root / n).read_bytes() == ref.after_kill["repo"][n], n
        assert (s.root / "CHANGELOG.md").read_text().count(f"## {NEXT} (") == 1


def test_a_release_killed_before_datapackage_json_changed_nothing_that_matters(runs):
    s = runs["kills"]["release-changelog-written"]
    assert s.after_kill["repo"]["datapackage.json"] == (runs["origin"] / "datapackage.json").read_bytes()
    assert NEXT not in s.listing


def test_a_release_killed_after_datapackage_json_is_finished_by_build(runs):
    for name in ("release-descriptor-written", "release-written"):
        s = runs["kills"][name]
        assert f'"version": "{NEXT}"'.encode() in s.after_kill["repo"]["datapackage.json"]
        assert NEXT not in s.listing  # nothing in place yet ...
    assert f"built {NEXT}" in runs["kills"]["release-written"].recovery.stdout  # ... until build finishes it


# -- two builds at once -------------------------------------------------------------------------


def test_two_builds_at_once_one_builds_the_other_is_told(runs):
    race, holder, other = runs["race"]
    assert holder is not None and other is not None, [r.output for r in race]
    assert other.returncode == 1 and "another build is running" in other.output, other.output
    assert "Traceback" not in other.output
    assert holder.returncode == 0 and f"built {LATEST}" in holder.output, holder.output
    build = race[0].root / "build"
    assert same_tree(build / LATEST, runs["origin"] / "build" / LATEST)
    assert not list(build.glob(".tmp-*"))


# -- a read-only build/ and a full disk ---------------------------------------------------------

DISK_ERRORS = {
    "full-disk": "No space left on device",
    "read-only-mount": "Read-only file system",
    "file-size-limit": "File too large",
    "read-only-build": "Permission denied",
}


@pytest.mark.parametrize("name", sorted(DISK_ERRORS))
def test_a_disk_that_refuses_writes_gives_one_clear_line(runs, name):
    if name not in runs["disk"]:
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); the file size limit stands in"
                    if name in ("full-disk", "read-only-mount")
                    else "no way to make a directory read-only for root here (setpriv missing)")
    s, how = runs["disk"][name]
    import re

    lines = [ln for ln in s.output.splitlines() if not ln.startswith("note:")]
    assert s.returncode == 1, (how, s.output[-3000:])
    assert "Traceback" not in s.output and "internal error" not in s.output, s.output[-3000:]
    assert len(lines) == 1 and re.match(rf"Error: build failed: ({DISK_ERRORS[name]})", lines[0]), (how, lines)
    assert "nothing was published" in lines[0]
    out = Path(s.args[-1]) if "--out" in s.args else s.root / "build"
    left = [p.name for p in out.iterdir()] if out.is_dir() else []
    assert not [n for n in left if n != ".lock" and n not in s.before["published"]], (how, left)
    assert tree(s.root / "raw") == s.before["raw"]
    for v, t in s.before["published"].items():
        assert tree(s.root / "build" / v) == t


def test_a_release_into_a_read_only_build_changes_nothing(runs):
    if "read-only-release" not in runs["disk"]:
        pytest.skip("no way to make a directory read-only for root here (setpriv missing)")
    s, how = runs["disk"]["read-only-release"]
    assert s.returncode == 1 and "Traceback" not in s.output, (how, s.output[-3000:])
    assert "release refused" in s.output and "nothing was released" in s.output, s.output[-3000:]
    assert tree(s.root) == s.before["all"], "a release that could not write build/ changed the repository"


def test_any_command_turns_a_refused_write_into_one_line():
    """The last line of defence: an OSError from any command is the system
    refusing (a full disk, a read-only file system), said in one line, exit 1."""
    import click
    from click.testing import CliRunner

    from dprk_relations.cli import guarded

    @click.command()
    @guarded
    def command():
        raise OSError(28, "No space left on device", "/data/raw/.visits.csv.tmp")

    out = CliRunner().invoke(command, [], env={"DPRK_RELATIONS_DEBUG": ""})
    assert out.exit_code == 1, out.output
    assert out.stderr.strip() == "error: No space left on device: /data/raw/.visits.csv.tmp"

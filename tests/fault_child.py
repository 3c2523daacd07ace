"""Run the dprk-relations command line, pausing at a named stage of a build or
release so that tests/test_faults.py can kill it there (or let it go on).

    python tests/fault_child.py STAGE MARKER -- build PACKAGE_DIR ...

or, from a test process that has already imported the package and built once,
``Forked(STAGE, MARKER, ARGS, ...)``: the same command in a process forked from
it. A forked child is as real a process as a started one (its own memory and
files, killed by the same SIGKILL), without the interpreter start, the imports
and the first-use set-up of a started one, which cost a second and a half to
two and a half seconds of the four a started build takes here.

When the process reaches STAGE it writes STAGE into the file MARKER and
waits until MARKER + ".go" exists (the test either kills it with SIGKILL or
creates that file). Nothing in the package knows about this: the stages are
reached by wrapping the functions a build calls, so the code under test runs
unchanged. Stages:

    validated         the raw data is checked and the release is in memory; nothing written yet
    locked            the build lock is held; the temporary directory not yet made
    half-written      half of the release's files are in the temporary directory
    written           the temporary directory is complete; not yet renamed into place
    renamed           renamed into place; the directory not yet synced
    swapped           (unreleased) the old preview moved aside, the new one not yet in place
    changelog-written (release) CHANGELOG.md written; CITATION.cff and datapackage.json not
    descriptor-written (release) CHANGELOG.md, CITATION.cff and datapackage.json written
    none              no pause
"""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from pathlib import Path


def pauser(wanted: str, marker: Path):
    def pause(stage: str) -> None:
        if stage != wanted:
            return
        marker.write_text(stage)
        go = Path(str(marker) + ".go")
        while not go.exists():
            time.sleep(0.02)
    return pause


def wrap(module, name, before=None, after=None):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        if before:
            before(*args, **kwargs)
        result = original(*args, **kwargs)
        if after:
            after(result, *args, **kwargs)
        return result

    setattr(module, name, wrapper)
    return original


def run(stage: str, marker: Path, args: list[str]) -> None:
    """Wrap the stages, then run the command line (which exits)."""
    from dprk_relations.stages import build as builder
    from dprk_relations.stages import fmt as formatting
    from dprk_relations.documents import files as release_files

    pause = pauser(stage, Path(marker))
    wrap(builder, "release_contents", after=lambda *a, **k: pause("validated"))
    wrap(builder, "write_release", before=lambda *a, **k: pause("locked"))
    wrap(builder, "_fsync_dir", before=lambda *a, **k: pause("renamed"))

    original_tree = release_files.write_tree

    def write_tree(root, files):
        names = sorted(files)
        half = len(names) // 2
        original_tree(root, {n: files[n] for n in names[:half]})
        pause("half-written")
        original_tree(root, {n: files[n] for n in names[half:]})
        pause("written")

    release_files.write_tree = write_tree

    original_rename = os.rename

    def rename(src, dst, *args, **kwargs):
        if Path(dst).name == builder.UNRELEASED:
            pause("swapped")
        return original_rename(src, dst, *args, **kwargs)

    os.rename = rename

    def after_write(result, path, data):
        if Path(path).name == "CHANGELOG.md":
            pause("changelog-written")
        elif Path(path).name == "datapackage.json":
            pause("descriptor-written")

    wrap(formatting, "write_atomic", after=after_write)

    from dprk_relations.cli import main as cli

    cli(args, prog_name="dprk-relations")


class Forked:
    """``run`` in a child forked from this process, its stdout into ``output`` and its stderr
    into ``errors`` (default: ``output`` too); what the tests use of subprocess.Popen: poll,
    wait, send_signal, kill, returncode."""

    def __init__(self, stage: str, marker: Path, args: list[str], output: Path, cwd: Path, env: dict,
                 preexec=None, errors: Path | None = None):
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if errors else fd
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the test
            code = 3
            try:
                os.dup2(fd, 1)
                os.dup2(err, 2)
                sys.stdout, sys.stderr = (io.TextIOWrapper(io.FileIO(n, "w", closefd=False), encoding="utf-8",
                                                           line_buffering=True) for n in (1, 2))
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(env)
                if preexec:
                    preexec()
                run(stage, marker, args)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        os.close(fd)
        if err != fd:
            os.close(err)
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"process {self.pid} still running after {timeout} s")
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


if __name__ == "__main__":
    run(sys.argv[1], Path(sys.argv[2]), sys.argv[sys.argv.index("--") + 1:])

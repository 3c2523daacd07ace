"""frictionless in a second process, so that its import and its descriptor check
run on the other core while this one imports pandas and reads the tables.

On data this project's size, most of `validate`'s time is spent importing
pandas, pandera and frictionless and in frictionless' descriptor check, all
of it Python holding one interpreter lock: a second interpreter is the only
way to overlap them. The worker reports exactly what
:mod:`.frictionless_engine` reports in-process (it runs the same functions),
and whenever it cannot (it failed to start, crashed, or said something that
is not a list of problems), the caller runs the engine in-process instead.

Protocol: the worker (:func:`main`, given the package directory)
checks the descriptor at once, then reads one pickle from stdin: the cells
of the tables (see :func:`frictionless_engine.cells`), or None to stop. It
writes one pickle to stdout: the list of problems. When every raw file is in
canonical form, validation sends the cells as soon as Arrow has parsed them
(:func:`frictionless_engine.arrow_cells`), before pandas is imported.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import dprk_relations

_TIMEOUT = 600  # seconds: frictionless reads about 37k rows a second, and only small data comes here


class Worker:
    """A started worker: :meth:`send` the cells, then :meth:`result`."""

    def __init__(self, package_dir: Path):
        # The child imports this package from where the parent found it, installed or not;
        # appended to its path, so that nothing there shadows the standard library.
        here = str(Path(dprk_relations.__file__).resolve().parent.parent)
        start = (f"import sys; sys.path.append({here!r}); "
                 f"from dprk_relations.checks.frictionless_worker import main; sys.exit(main(sys.argv[1]))")
        self.proc = subprocess.Popen([sys.executable, "-c", start, str(Path(package_dir).resolve())],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(self, cells) -> None:
        """Hand over the cells; the worker checks them while the caller goes on."""
        try:
            self.proc.stdin.write(pickle.dumps(cells, protocol=pickle.HIGHEST_PROTOCOL))
            self.proc.stdin.close()
        except OSError:
            self.cancel()  # it died: result() says so
        self.proc.stdin = None  # sent: communicate() must not touch it again

    def result(self) -> list | None:
        """The worker's problems, or None when it gave no clean answer."""
        try:
            out, _ = self.proc.communicate(timeout=_TIMEOUT)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.cancel()
            return None
        if self.proc.returncode != 0:
            return None
        try:
            problems = pickle.loads(out)
        except Exception:  # noqa: BLE001 - anything but a clean answer: the caller checks in-process
            return None
        return problems if isinstance(problems, list) else None

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.communicate()
        except (OSError, ValueError):
            pass


def start(package_dir) -> Worker | None:
    try:
        return Worker(Path(package_dir))
    except OSError:
        return None


def main(package_dir: str) -> int:
    import threading

    # Take the cells as soon as they come, so that the caller never waits on a full pipe.
    received = {}
    reader = threading.Thread(target=_receive, args=(received,), daemon=True)
    reader.start()
    from dprk_relations.model.package import load_package
    from dprk_relations.checks import frictionless_engine

    package = load_package(Path(package_dir))
    problems = frictionless_engine.descriptor_problems(package)
    reader.join()
    if "cells" not in received:  # the caller went away
        return 0
    cells = received["cells"]
    if cells is None:
        return 0
    problems += frictionless_engine.check_cells(package, cells)
    sys.stdout.buffer.write(pickle.dumps(problems, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


def _receive(into: dict) -> None:
    try:
        into["cells"] = pickle.load(sys.stdin.buffer)
    except EOFError:
        pass

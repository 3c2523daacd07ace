"""Run the dprk-relations command line, pausing at a named stage of a build or
release so that tests/test_faults.py can kill it there (or let it go on).

    python tests/fault_child.py STAGE MARKER -- build PACKAGE_DIR ...

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

import os
import sys
import time
from pathlib import Path

STAGE, MARKER = sys.argv[1], Path(sys.argv[2])
ARGS = sys.argv[sys.argv.index("--") + 1:]


def pause(stage: str) -> None:
    if stage != STAGE:
        return
    MARKER.write_text(stage)
    go = Path(str(MARKER) + ".go")
    while not go.exists():
        time.sleep(0.02)


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


def main() -> None:
    from dprk_relations.stages import build as builder
    from dprk_relations.stages import fmt as formatting
    from dprk_relations.documents import files as release_files

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

    cli(ARGS, prog_name="dprk-relations")


if __name__ == "__main__":
    main()

"""The dprk-relations command: a thin layer over the Python API.

Each command parses its options, calls one API function and prints the
result. Heavy libraries are imported inside the commands, so that `--help`
stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

DEBUG_ENV = "DPRK_RELATIONS_DEBUG"


def guarded(fn):
    """Turn an unexpected exception into a one-line message and exit code 3.

    Bad data never reaches here (it is reported, with exit 1); what does is a
    bug, and a user needs a message to report, not a traceback to read.
    Set DPRK_RELATIONS_DEBUG=1 to see the traceback.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except OSError as exc:  # the system refused: a full or read-only disk, a permission
            if os.environ.get(DEBUG_ENV):
                raise
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}", err=True)
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get(DEBUG_ENV):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       f"This is a bug in dprk-relations, not in your data; please report it "
                       f"(set {DEBUG_ENV}=1 for details).", err=True)
            sys.exit(3)

    return wrapper


def package_dir_argument(fn):
    return click.argument("package_dir", default=".", type=click.Path(file_okay=False, path_type=Path))(fn)


def _require_package(package_dir: Path) -> None:
    if not (package_dir / "datapackage.json").is_file():
        raise click.UsageError(f"no datapackage.json in {package_dir}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dprk-relations")
def main():
    """Build, check and load the DPRK Relations dataset."""


def list_unchecked_option(fn):
    return click.option("--list-unchecked", is_flag=True,
                        help="Name each source whose quotes could not be checked because its text is not held "
                             "(the web pages: expected).")(fn)


@main.command()
@package_dir_argument
@click.option("--sources", "sources", multiple=True, type=click.Path(path_type=Path),
              help="Directory holding the source texts (repeatable). Default: $DPRK_RELATIONS_SOURCES.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--engine", type=click.Choice(["auto", "frictionless", "pandera", "both"]), default="auto",
              show_default=True, help="Which engine checks the Table Schemas: auto (and both) run frictionless and "
                                      "pandera, each on its own; one alone is for comparing them.")
@click.option("--strict", is_flag=True, help="A source whose text is not found is an error, not a notice.")
@list_unchecked_option
@guarded
def validate(package_dir, sources, output, engine, strict, list_unchecked):
    """Check the raw data: schemas, rules and evidence. Exit 1 on any error."""
    _require_package(package_dir)
    from dprk_relations.stages.validate import validate as run

    report = run(package_dir, sources=list(sources) or None, engine=engine, strict=strict)
    click.echo(report.to_json() if output == "json" else report.to_text(), nl=False)
    if list_unchecked and output == "text":
        _echo_unchecked(report)
    sys.exit(int(not report.valid))


@main.command()
@package_dir_argument
@click.option("--check", is_flag=True, help="Only say which files would change; exit 1 if any.")
@guarded
def fmt(package_dir, check):
    """Rewrite the raw CSVs in canonical form (form only, never values)."""
    _require_package(package_dir)
    from dprk_relations.stages.fmt import fmt as run
    from dprk_relations.model.package import PackageError

    try:
        result = run(package_dir, check=check)
    except PackageError as exc:
        for p in exc.problems:
            click.echo(f"{p.file}: {p.message}", err=True)
        sys.exit(1)
    verb = "would rewrite" if check else "rewrote"
    for path in result.changed:
        click.echo(f"{verb} {path}")
    for path, why in result.refused.items():
        click.echo(f"left {path} alone: {why}", err=True)
    click.echo(f"{len(result.changed)} changed, {len(result.unchanged)} already canonical, "
               f"{len(result.refused)} refused")
    sys.exit(1 if result.refused or (check and result.changed) else 0)


def _echo_unchecked(report) -> None:
    for sid, n in report.stats.get("evidence_unchecked_by_source", {}).items():
        click.echo(f"unchecked: {n} quote{'s' if n != 1 else ''} of source {sid!r} (no text held)")


def sources_option(fn):
    return click.option("--sources", "sources", multiple=True, type=click.Path(path_type=Path),
                        help="Directory holding the source texts (repeatable). Default: $DPRK_RELATIONS_SOURCES.")(fn)


@main.command()
@package_dir_argument
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory that holds the releases. Default: PACKAGE_DIR/build.")
@sources_option
@click.option("--strict", is_flag=True, help="A source whose text is not found is an error.")
@list_unchecked_option
@guarded
def build(package_dir, out, sources, strict, list_unchecked):
    """Validate, then write the release build/<version>/ (CSV, Parquet, docs, zip)."""
    _require_package(package_dir)
    from dprk_relations.stages.build import BuildLocked
    from dprk_relations.stages.build import build as run
    from dprk_relations.documents.safety import UnsafeCell

    try:
        result = run(package_dir, out=out, sources=list(sources) or None, strict=strict)
    except (BuildLocked, UnsafeCell) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else f" (writing in {out or package_dir / 'build'})"
        raise click.ClickException(f"build failed: {exc.strerror or exc}{where}; "
                                   f"nothing was published and no partial release is left") from None
    if not result.ok:
        click.echo(result.report.to_text(), nl=False)
        click.echo("build stopped: nothing was written", err=True)
        sys.exit(1)
    for note in result.report.notices:
        click.echo(f"note: {note}")
    if list_unchecked:
        _echo_unchecked(result.report)
    where = result.path
    if result.status == "built":
        click.echo(f"built {result.version} in {where}")
    elif result.status == "reproduced":
        click.echo(f"reproduced {result.version} exactly ({where})")
    else:
        click.echo(f"raw data differs from published {result.version}: {result.summary}")
        click.echo(f"preview written to {where}; `dprk-relations release` publishes it as a new version")


@main.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path), default=".")
@click.option("--format", "output", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format.")
@sources_option
@guarded
def diff(old, new, output, sources):
    """Compare two releases (directories or zips) or a release and raw data."""
    from dprk_relations.stages.diff import DiffError
    from dprk_relations.stages.diff import diff as run

    try:
        d = run(old, new, sources=list(sources) or None)
    except DiffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo({"text": d.to_text, "markdown": d.to_markdown, "json": d.to_json}[output](), nl=False)


@main.command()
@click.argument("bump", required=False, type=click.Choice(["major", "minor", "patch"]))
@click.option("--package-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The package directory.")
@click.option("--date", "day", default=None, help="Release date (YYYY-MM-DD). Default: today.")
@click.option("--notes", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A Markdown file of notes for users, put at the top of the changelog entry.")
@sources_option
@guarded
def release(bump, package_dir, day, notes, sources):
    """Publish the raw data as a new version, bumped as the changes require."""
    _require_package(package_dir)
    from dprk_relations.stages.build import BuildLocked
    from dprk_relations.stages.release import ReleaseRefused, ReleaseUnfinished
    from dprk_relations.stages.release import release as run
    from dprk_relations.documents.safety import UnsafeCell

    try:
        result = run(package_dir, bump=bump, day=day, sources=list(sources) or None,
                     notes=notes.read_text(encoding="utf-8") if notes else None)
    except (ReleaseRefused, BuildLocked, UnsafeCell) as exc:
        click.echo(f"release refused: {exc}", err=True)
        sys.exit(1)
    except ReleaseUnfinished as exc:
        click.echo(f"release not finished: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"release refused: cannot write {exc.filename or 'a file'}: {exc.strerror or exc}; "
                   f"nothing was released: fix that and run `dprk-relations release` again", err=True)
        sys.exit(1)
    click.echo(f"released {result.version} ({result.bump}) in {result.path}")
    click.echo("updated " + ", ".join(str(p.relative_to(package_dir)) for p in result.repo_files))
    click.echo(result.changelog_entry, nl=False)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@guarded
def verify(path):
    """Check a downloaded release (directory or zip): hashes, sizes, schemas, paths."""
    from dprk_relations.stages.verify import verify as run

    result = run(path)
    click.echo(result.to_text(), nl=False)
    sys.exit(0 if result.ok else 1)


@main.command()
@click.argument("version")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also unpack the release into DIR/dprk-relations-<version>/. Default: only the per-user cache.")
@guarded
def download(version, dest):
    """Download a published VERSION (or `latest`) once, check its sha256, unpack it; print its directory."""
    from dprk_relations.access.download import fetch
    from dprk_relations.access.load import LoadError

    try:
        path = fetch(version, dest=dest)
    except LoadError as exc:
        click.echo(f"download failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"size and sha256 match the registry; release in {path}", err=True)
    click.echo(str(path))

"""The README is the front door: its commands and snippets must run as shown."""

import re
import subprocess
import sys

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 3)
    return README[start:end if end > 0 else None]


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_the_two_commands_are_make_targets_and_ci_runs_the_test_one():
    commands = _blocks(_section("Two commands"), "sh")[0]
    targets = [line.split()[1] for line in commands.strip().splitlines()]
    assert targets == ["build", "test"]
    makefile = (REPO / "Makefile").read_text()
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.M)
    ci = [line for line in (REPO / ".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "make test"


def _release_rows(table: str) -> list[dict]:
    import csv

    version = re.search(r'load\("build/(\d+\.\d+\.\d+)"\)', _section("Loading the data")).group(1)
    with open(REPO / "build" / version / "data" / f"{table}.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _expected_output(snippet: str) -> list[str]:
    """What a snippet must print, counted here from the release's CSV files, not by the package."""
    visits = _release_rows("visits")
    if "duckdb" in snippet:
        occurred = sum(v["status"] == "occurred" for v in visits)
        return ["occurred", str(occurred)]
    if "groupby" in snippet:  # the counting recipe: its cells add up to the leader-level visits that took place
        return [str(sum(v["status"] == "occurred" and bool(v["visitor_office_id"]) for v in visits))]
    return ["datetime64[s]", "'occurred', 'planned'", "Requested and declined | The state visited."]


@pytest.mark.parametrize("snippet", _blocks(_section("Loading the data"), "python"))
def test_python_snippets_print_what_the_data_hold(snippet):
    out = subprocess.run([sys.executable, "-c", snippet], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    expected = _expected_output(snippet)
    if "groupby" in snippet:
        cells = [int(x) for line in out.stdout.splitlines()[2:] for x in line.split() if x.isdigit()]
        assert str(sum(cells)) == expected[0], out.stdout
    else:
        for text in expected:
            assert text in out.stdout, (text, out.stdout)


@pytest.mark.parametrize("snippet", _blocks(_section("Loading the data"), "r"))
def test_r_snippets_run(snippet):
    out = subprocess.run(["Rscript", "-e", snippet], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "visit_id" in out.stdout


def test_the_readme_figure_exists():
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (REPO / image).is_file(), image

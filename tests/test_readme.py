"""The README is the front door: its commands and snippets must run as shown."""

import re
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize("snippet", _blocks(_section("Loading the data"), "python"))
def test_python_snippets_run(snippet):
    out = subprocess.run([sys.executable, "-c", snippet], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


@pytest.mark.parametrize("snippet", _blocks(_section("Loading the data"), "r"))
def test_r_snippets_run(snippet):
    out = subprocess.run(["Rscript", "-e", snippet], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "visit_id" in out.stdout


def test_the_readme_figure_exists():
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (REPO / image).is_file(), image

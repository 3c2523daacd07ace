"""The command line: exit codes, JSON equal to the API's report, help everywhere."""

import json
import re

from conftest import run_cli
from dprk_relations import validate
from dprk_relations.cli import main


def test_json_output_equals_the_api_report(pkg, source_dirs):
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    pkg.set_cell("raw/visits.csv", line, "status", "happened")
    args = [a for d in source_dirs for a in ("--sources", d)]
    out = run_cli("validate", pkg.root, "--format", "json", *args)
    assert json.loads(out.stdout) == validate(pkg.root, sources=source_dirs).to_dict()


def test_exit_codes(pkg, tmp_path):
    assert run_cli("validate", pkg.root).returncode == 0
    assert run_cli("validate", tmp_path / "nowhere").returncode == 2  # usage: no package there
    assert run_cli("validate", pkg.root, "--engine", "quantum").returncode == 2
    (pkg.root / "datapackage.json").write_text("{ not json")
    out = run_cli("validate", pkg.root, process=True)
    assert out.returncode == 1
    assert "datapackage.json:1" in out.stdout and "[json]" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_every_command_has_help_and_is_in_the_readme(repo):
    readme = (repo / "README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert command.help, name
        out = run_cli(name, "--help")
        assert out.returncode == 0 and "Usage:" in out.stdout
        assert re.search(rf"dprk-relations {name}\b", readme), f"README does not show `dprk-relations {name}`"


def test_python_m_datapackage_works(repo):
    out = run_cli("--help", process=True)
    assert out.returncode == 0 and "validate" in out.stdout

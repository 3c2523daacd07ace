"""The installed package can do its job outside this repository's environment: every
third-party module it imports is a declared dependency."""

import ast
import importlib.metadata as md
import re
import sys
import tomllib

from conftest import REPO


def test_every_module_the_package_imports_is_a_declared_dependency():
    imported = set()
    for path in (REPO / "datapackage").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "datapackage"}
    assert {"pandas", "pyarrow", "matplotlib"} <= third_party  # the scan finds what it must
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    owners = md.packages_distributions()
    missing = {m: owners.get(m) for m in third_party if not {d.lower() for d in owners.get(m, [m])} & declared}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"

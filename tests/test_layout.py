"""The package's layout holds: modules import one another without cycles (counting
imports inside functions too), never another module's private names, and the
command line does no work of its own."""

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "dprk_relations"


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[tuple[str, str]]]:
    """module -> {(imported module, name or "")}, for every import of the package, anywhere in the file."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    out = {}
    for mod, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dprk_relations"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add((sub, "") if sub in modules else (node.module, alias.name))
            elif isinstance(node, ast.Import):
                found |= {(a.name, "") for a in node.names if a.name.startswith("dprk_relations")}
        out[mod] = found
    return out


def test_no_module_imports_another_modules_private_names():
    private = [(mod, target, name) for mod, found in _imports().items() for target, name in found
               if name.startswith("_") and target != mod]
    assert private == []


def test_there_are_no_import_cycles():
    graph = {mod: {t for t, _ in found if t != mod and t != "dprk_relations"} for mod, found in _imports().items()}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(nxt_ := node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[nxt_] = "done"

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    assert cycles == []


def test_the_folders_show_the_flow():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {"model", "checks", "stages", "documents", "access"}
    assert {p.stem for p in (PACKAGE / "stages").glob("*.py")} >= {"validate", "derive", "build", "diff", "release",
                                                                    "verify", "fmt"}
    assert {p.stem for p in (PACKAGE / "access").glob("*.py")} >= {"load", "download", "registry"}
    assert not (REPO / "datapackage" / "__init__.py").exists()  # no package named datapackage, ever

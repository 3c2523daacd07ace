"""The installed package can do its job outside this repository's environment: every
third-party module it imports is a declared dependency, and the wheel, installed on
its own, builds a release and downloads a published one."""

import ast
import importlib.metadata as md
import json
import os
import re
import sys
import tomllib
from pathlib import Path

from conftest import REPO, copy_package


def test_every_module_the_package_imports_is_a_declared_dependency():
    imported = set()
    for path in (REPO / "dprk_relations").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "dprk_relations"}
    assert {"pandas", "pyarrow", "matplotlib"} <= third_party  # the scan finds what it must
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    owners = md.packages_distributions()
    missing = {m: owners.get(m) for m in third_party if not {d.lower() for d in owners.get(m, [m])} & declared}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_the_built_wheel_installs_builds_a_release_and_downloads_one_on_its_own(tmp_path, sample):
    """The wheel, not the checkout: installed into a fresh virtual environment (its dependencies
    come from this one's site-packages, so that no network is needed), it validates and builds,
    and downloads a published version from a server on 127.0.0.1, checked against the registry
    the wheel carries."""
    import shutil
    import subprocess
    import venv

    # From a copy of what the wheel is made of: setuptools writes build/lib into the tree it builds,
    # and build/ here holds the published releases.
    src, wheels = tmp_path / "src", tmp_path / "wheels"
    src.mkdir()
    for part in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / part, src / part)
    shutil.copytree(REPO / "dprk_relations", src / "dprk_relations", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "datapackage", src / "datapackage")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-w", str(wheels), str(src)], check=True, capture_output=True)
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    site = next((env_dir / "lib").glob("python*/site-packages"))
    # Dependencies only: the path entries of this environment, without the checkout itself.
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    wheel = next(wheels.glob("*.whl"))
    import zipfile

    with zipfile.ZipFile(wheel) as zf:  # a wheel is a zip: unpacked into site-packages, it is installed
        names = set(zf.namelist())
        zf.extractall(site)
    assert {"dprk_relations/data/registry.json", "dprk_relations/data/load.R",
            "dprk_relations/documents/templates/page.css", "dprk_relations/documents/templates/page.js"} <= names
    assert not [n for n in names if n.split("/")[0] == "datapackage"]  # never a package of that name
    python = env_dir / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import dprk_relations, sys; print(dprk_relations.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert where.returncode == 0 and where.stdout.startswith(str(site)), where.stdout + where.stderr
    pkg = copy_package(sample, tmp_path / "pkg")
    # frictionless in its second process, as on a user's machine with two cores: started from the wheel too
    apart = {**os.environ, "DPRK_RELATIONS_PROCESSES": "2"}
    out = subprocess.run([str(python), "-m", "dprk_relations", "build", str(pkg), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=tmp_path, env=apart)
    assert out.returncode == 0 and "built " in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]
    checked = subprocess.run([str(python), "-m", "dprk_relations", "validate", str(pkg), "--format", "json"],
                             capture_output=True, text=True, cwd=tmp_path, env=apart)
    assert json.loads(checked.stdout)["stats"]["frictionless_fell_back"] is None, checked.stderr
    page = next((tmp_path / "out").glob("*/index.html")).read_text(encoding="utf-8")
    assert "--accent:#1f4f8a" in page and "Intl.Collator" in page  # the page templates came with the wheel
    # A published version, from a mirror on 127.0.0.1, into an empty cache: checked against the registry
    # that came with the wheel.
    from test_download import REGISTRY, Mirror

    root = tmp_path / "mirror"
    archive = REGISTRY.versions["1.0.0"]["archive"]
    (root / "v1.0.0").mkdir(parents=True)
    shutil.copy2(REPO / "build" / "1.0.0" / archive, root / "v1.0.0" / archive)
    mirror = Mirror(root)
    try:
        env = {**os.environ, "DPRK_RELATIONS_CACHE": str(tmp_path / "cache"),
               "DPRK_RELATIONS_BASE_URL": mirror.url()}
        got = subprocess.run([str(python), "-m", "dprk_relations", "download", "1.0.0"], capture_output=True,
                             text=True, cwd=tmp_path, env=env)
    finally:
        mirror.stop()
    assert got.returncode == 0, got.stderr[-2000:]
    assert "size and sha256 match the registry" in got.stderr
    assert (Path(got.stdout.strip()) / "datapackage.json").is_file()
    assert mirror.requests == [f"/good/v1.0.0/{archive}"]

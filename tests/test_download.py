"""Downloading published releases: versions by name, fetched once, verified always.

A real HTTP server on loopback serves a mirror of the committed release zips,
laid out as the registry's url_pattern says, and can damage what it sends:
the first segment of the path says how (good, tampered, truncated, ...). Each
test has its own empty cache (DPRK_RELATIONS_CACHE) and, like an installed
package, no build/ directory to find releases in.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import dprk_relations
from conftest import REPO, run_cli
from dprk_relations.documents import citation
from dprk_relations.access import download
from dprk_relations.access import load as loader
from dprk_relations.access import registry
from dprk_relations.access.load import LoadError
from dprk_relations.stages.release import published_versions

REGISTRY = registry.read()
KNOWN = REGISTRY.known()
LOADER_R = REPO / "datapackage" / "load.R"

# How the server sends an archive, by the first segment of the path.
MODES = ("good", "tampered", "truncated", "unannounced", "padded", "missing")
REFUSALS = {
    "tampered": r"sha256 is not the one in the registry .*corrupted or has been tampered with; nothing was kept",
    "truncated": r"the transfer was cut short: \d+ of 246696 bytes \(check your network, or try again\); "
                 r"nothing was kept",
    "unannounced": r"the transfer was cut short: 123348 of 246696 bytes .*; nothing was kept",
    "padded": r"the server sent more than the \d+ bytes the registry lists; nothing was kept",
    "missing": r"the server answered HTTP 404",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.server.requests.append(self.path)
        mode, _, rel = self.path.lstrip("/").partition("/")
        file = self.server.root / rel
        if mode not in MODES or mode == "missing" or ".." in rel.split("/") or not file.is_file():
            self.send_error(404)
            return
        data = file.read_bytes()
        declared = len(data)
        if mode == "tampered":  # same size, one byte changed
            data = data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:]
        elif mode == "truncated":  # announces the whole archive, sends half, hangs up
            data = data[: len(data) // 2]
        elif mode == "unannounced":  # no Content-Length: a short body looks complete to HTTP
            data, declared = data[: len(data) // 2], None
        elif mode == "padded":  # the archive and more
            data = data + b"\0" * 65536
            declared = len(data)
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        if declared is not None:
            self.send_header("Content-Length", str(declared))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


class Mirror:
    """The committed release zips served on 127.0.0.1 in the registry's layout."""

    def __init__(self, root: Path):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.root, self.server.requests = root, []
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.running = True

    @property
    def requests(self) -> list[str]:
        return self.server.requests

    def url(self, mode: str = "good") -> str:
        return f"http://127.0.0.1:{self.port}/{mode}"

    def stop(self) -> None:
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()
            self.running = False


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    for version in KNOWN:
        archive = REGISTRY.versions[version]["archive"]
        (root / f"v{version}").mkdir(parents=True)
        shutil.copy2(REPO / "build" / version / archive, root / f"v{version}" / archive)
    m = Mirror(root)
    yield m
    m.stop()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty per-user cache, no download location, and no build/ to read versions from."""
    path = tmp_path / "cache"
    monkeypatch.setenv(download.CACHE_ENV, str(path))
    monkeypatch.delenv(registry.BASE_URL_ENV, raising=False)
    monkeypatch.setattr(loader, "_repo_build_dirs", lambda: [])
    return path


def entries(path: Path) -> list[str]:
    """Everything in a directory, files and folders, hidden ones too."""
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*")) if path.exists() else []


def assert_same_tables(a, b) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def use(monkeypatch, mirror: Mirror, mode: str = "good") -> None:
    monkeypatch.setenv(registry.BASE_URL_ENV, mirror.url(mode))


def cli_env(cache: Path, base_url: str | None) -> dict:
    env = {download.CACHE_ENV: str(cache), "PYTHONPATH": str(REPO)}
    if base_url:
        env[registry.BASE_URL_ENV] = base_url
    return env


# -- the registry and the hosting metadata ---------------------------------------


def test_the_registry_lists_every_published_release_with_its_size_and_sha256():
    import hashlib

    assert KNOWN == published_versions(REPO / "build")
    for version in KNOWN:
        entry = REGISTRY.versions[version]
        data = (REPO / "build" / version / entry["archive"]).read_bytes()
        assert entry["archive"] == f"dprk-relations-{version}.zip"
        assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()), version
    assert "{base_url}" in REGISTRY.url_pattern and "{archive}" in REGISTRY.url_pattern


def test_the_registry_ships_with_the_python_package():
    import tomllib

    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "registry.json" in package_data["dprk_relations.data"]  # the wheel test checks the built wheel holds it
    assert registry.PATH == REPO / "datapackage" / "registry.json"


def test_hosting_metadata_is_in_step_with_datapackage_json():
    desc = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    zenodo = (REPO / ".zenodo.json").read_text(encoding="utf-8")
    assert zenodo == citation.zenodo_json(desc)
    assert (REPO / "CITATION.cff").read_text(encoding="utf-8") == citation.citation_cff(desc)
    record = json.loads(zenodo)
    assert record["version"] == desc["version"] == KNOWN[-1]
    assert record["publication_date"] == desc["created"][:10]
    assert record["upload_type"] == "dataset" and record["license"] == "cc-by-4.0"
    assert record["title"] == desc["title"] and record["keywords"] == desc["keywords"]
    assert [c["name"] for c in record["creators"]] == ["DPRK Relations Dataset maintainers"]
    # Related identifiers come from datapackage.json: no homepage is invented.
    assert "homepage" not in desc
    assert all(r["relation"] == "isDerivedFrom" for r in record["related_identifiers"])


def test_without_a_download_location_the_error_says_how_to_set_one(cache):
    if REGISTRY.base_url is not None:
        pytest.skip("the registry has a download location now")
    with pytest.raises(LoadError, match=r"no download location is set .*DPRK_RELATIONS_BASE_URL"):
        dprk_relations.load("1.0.0")
    assert entries(cache) == []


# -- downloading, verifying, caching ---------------------------------------------


def test_a_first_load_downloads_verifies_and_gives_the_published_tables(mirror, cache, monkeypatch):
    use(monkeypatch, mirror)
    tables = dprk_relations.load("1.0.0")
    assert tables.version == "1.0.0"
    assert_same_tables(tables, dprk_relations.load(REPO / "build" / "1.0.0"))
    assert mirror.requests == ["/good/v1.0.0/dprk-relations-1.0.0.zip"]
    assert entries(cache)[-1] == "dprk-relations-1.0.0.zip"
    assert (cache / "dprk-relations-1.0.0.zip").read_bytes() == (REPO / "build/1.0.0/dprk-relations-1.0.0.zip").read_bytes()
    folder = download.fetch("1.0.0")
    assert folder.parent == cache and folder.name == f"dprk-relations-1.0.0-{REGISTRY.versions['1.0.0']['sha256'][:16]}"
    assert [e for e in entries(cache) if "/" not in e] == [folder.name, "dprk-relations-1.0.0.zip"]  # no temporaries


def test_a_second_load_uses_the_cache_and_never_the_network(mirror, cache, monkeypatch):
    use(monkeypatch, mirror)
    first = dprk_relations.load("1.0.0")
    mirror.stop()
    monkeypatch.delenv(registry.BASE_URL_ENV)  # not even a download location is needed

    import pooch

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    second = dprk_relations.load("1.0.0")
    assert_same_tables(first, second)
    assert mirror.requests == ["/good/v1.0.0/dprk-relations-1.0.0.zip"]


def test_a_release_changed_in_the_cache_is_unpacked_again_from_the_verified_archive(mirror, cache, monkeypatch):
    use(monkeypatch, mirror)
    folder = download.fetch("1.0.0", progress=False)
    mirror.stop()
    visits = folder / "data" / "visits.csv"
    good = visits.read_bytes()
    visits.write_bytes(good.replace(b"occurred", b"happened", 1))
    (folder / "extra.txt").write_text("not in the release")
    assert download.fetch("1.0.0", progress=False) == folder
    assert visits.read_bytes() == good and not (folder / "extra.txt").exists()
    assert len(mirror.requests) == 1


def test_only_our_stale_temporaries_are_swept_from_the_cache(mirror, cache, monkeypatch):
    use(monkeypatch, mirror)
    cache.mkdir()
    stale, fresh = cache / f"{download.TMP_PREFIX}old", cache / f"{download.TMP_PREFIX}new"
    others = [cache / "tmpabc", cache / ".tmp-someone-else"]
    for d in (stale, fresh, *others):
        d.mkdir()
        (d / "x").write_text("x")
    for d in (stale, *others):
        os.utime(d, (1, 1))
    download.fetch("1.0.0", progress=False)
    assert not stale.exists() and fresh.exists() and all(d.exists() for d in others)


def test_a_damaged_archive_in_the_cache_is_deleted_and_fetched_again(mirror, cache, monkeypatch):
    use(monkeypatch, mirror)
    download.fetch("1.0.0", progress=False)
    archive = cache / "dprk-relations-1.0.0.zip"
    data = bytearray(archive.read_bytes())
    data[1000] ^= 1
    archive.write_bytes(bytes(data))
    use(monkeypatch, mirror, "tampered")  # and the server now sends a bad copy too
    with pytest.raises(LoadError, match="sha256 is not the one in the registry"):
        download.fetch("1.0.0", progress=False)
    assert not archive.exists()
    use(monkeypatch, mirror)
    download.fetch("1.0.0", progress=False)
    assert archive.read_bytes() == (REPO / "build/1.0.0/dprk-relations-1.0.0.zip").read_bytes()


@pytest.mark.parametrize("mode", list(REFUSALS))
def test_a_bad_transfer_is_refused_and_nothing_is_kept(mirror, cache, monkeypatch, mode):
    use(monkeypatch, mirror, mode)
    with pytest.raises(LoadError, match=REFUSALS[mode]) as info:
        dprk_relations.load("1.0.0")
    assert mirror.url(mode) in str(info.value)
    assert entries(cache) == []
    assert mirror.requests == [f"/{mode}/v1.0.0/dprk-relations-1.0.0.zip"]


@pytest.mark.parametrize("mode", list(REFUSALS))
def test_the_command_refuses_a_bad_transfer_with_exit_1_and_one_line(mirror, tmp_path, mode):
    cache = tmp_path / "cache"
    out = run_cli("download", "1.0.0", env=cli_env(cache, mirror.url(mode)), process=True)
    assert out.returncode == 1, out.stderr
    assert re.search(REFUSALS[mode], out.stderr), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert out.stderr.strip().splitlines()[-1].startswith("download failed: ")
    assert entries(cache) == []


def test_no_network_and_no_cached_copy_is_a_clear_error(mirror, cache, monkeypatch, tmp_path):
    use(monkeypatch, mirror)
    mirror.stop()
    with pytest.raises(LoadError, match=r"could not download 1\.0\.0 from .*: connection refused; "
                                        r"check your network or DPRK_RELATIONS_BASE_URL"):
        dprk_relations.load("1.0.0")
    assert entries(cache) == []
    out = run_cli("download", "1.0.0", env=cli_env(cache, mirror.url()), process=True)
    assert out.returncode == 1 and "connection refused" in out.stderr and "Traceback" not in out.stderr
    assert entries(cache) == []


def test_an_unknown_version_names_the_known_ones(mirror, cache, monkeypatch):
    use(monkeypatch, mirror)
    known = ", ".join(KNOWN)
    with pytest.raises(LoadError, match=rf"unknown version '9\.9\.9': the published versions are {known}"):
        dprk_relations.load("9.9.9")
    out = run_cli("download", "0.1", env=cli_env(cache, mirror.url()))
    assert out.returncode == 1 and f"unknown version '0.1': the published versions are {known}" in out.stderr
    assert mirror.requests == [] and entries(cache) == []


def test_latest_is_the_newest_version_in_the_registry(mirror, cache, monkeypatch):
    use(monkeypatch, mirror)
    newest = KNOWN[-1]
    tables = dprk_relations.load("latest")
    assert tables.version == newest
    assert_same_tables(tables, dprk_relations.load(REPO / "build" / newest))
    assert mirror.requests == [f"/good/v{newest}/dprk-relations-{newest}.zip"]
    assert download.fetch("latest").name.startswith(f"dprk-relations-{newest}-")


def test_download_dest_gives_a_release_that_verify_accepts(mirror, cache, tmp_path):
    dest = tmp_path / "data"
    out = run_cli("download", "1.0.0", "--dest", dest, env=cli_env(cache, mirror.url()), process=True)
    assert out.returncode == 0, out.stderr
    folder = Path(out.stdout.strip())
    assert folder == dest / "dprk-relations-1.0.0"
    assert re.search(r"100%.*247k/247k", out.stderr), out.stderr  # the progress bar
    checked = run_cli("verify", folder)
    assert checked.returncode == 0 and checked.stdout.startswith(f"verified {folder}"), checked.stdout
    assert entries(dest) == ["dprk-relations-1.0.0"] + [f"dprk-relations-1.0.0/{e}" for e in entries(folder)]
    # Again: the cache answers and the copy is already there.
    again = run_cli("download", "1.0.0", "--dest", dest, env=cli_env(cache, None))
    assert again.returncode == 0 and Path(again.stdout.strip()) == folder
    assert len(mirror.requests) == 1
    # A folder of that name that is not the release is never overwritten.
    (folder / "codebook.md").write_text("mine")
    clash = run_cli("download", "1.0.0", "--dest", dest, env=cli_env(cache, None))
    assert clash.returncode == 1 and "already exists and is not this release" in clash.stderr
    assert (folder / "codebook.md").read_text() == "mine"


def test_a_version_may_name_its_own_address_and_the_environment_overrides_it(mirror, cache, monkeypatch, tmp_path):
    data = json.loads(registry.PATH.read_text())
    data["versions"]["1.0.0"]["url"] = f"{mirror.url()}/v1.0.0/dprk-relations-1.0.0.zip"
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(registry, "PATH", path)
    assert download.fetch("1.0.0", progress=False).is_dir()
    assert mirror.requests == ["/good/v1.0.0/dprk-relations-1.0.0.zip"]
    use(monkeypatch, mirror, "missing")  # a mirror set in the environment comes first
    with pytest.raises(LoadError, match="HTTP 404"):
        download.fetch("1.1.0", progress=False)
    assert mirror.requests[-1] == "/missing/v1.1.0/dprk-relations-1.1.0.zip"


# -- one line, in Python and in R, from an empty cache --------------------------


def installed_copy(tmp_path) -> Path:
    """The package laid out as the wheel installs it (tests/test_packaging.py installs the wheel
    itself): the modules, and datapackage/ as dprk_relations/data/; no build/ beside them."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "dprk_relations", site / "dprk_relations", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "datapackage", site / "dprk_relations" / "data")
    return site


def test_one_line_in_python_loads_a_version_from_an_empty_cache(mirror, tmp_path):
    site, work, cache = installed_copy(tmp_path), tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    code = ("import dprk_relations; t = dprk_relations.load('1.0.0'); "
            "print(dprk_relations.__file__); print({n: len(f) for n, f in t.items()})")
    env = {**os.environ, "PYTHONPATH": str(site), download.CACHE_ENV: str(cache),
           registry.BASE_URL_ENV: mirror.url()}
    out = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    where, counts = out.stdout.splitlines()
    assert Path(where).parent == site / "dprk_relations"
    assert eval(counts) == {n: len(f) for n, f in dprk_relations.load(REPO / "build/1.0.0").items()}
    assert mirror.requests == ["/good/v1.0.0/dprk-relations-1.0.0.zip"]
    assert entries(work) == []


def run_r(rscript, code: str, cache: Path, base_url: str | None, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, download.CACHE_ENV: str(cache)}
    env.pop(registry.BASE_URL_ENV, None)
    if base_url:
        env[registry.BASE_URL_ENV] = base_url
    # Any call of unzip(), listing included, is reported: a refusal must come before it.
    prelude = (f'source({json.dumps(str(LOADER_R))}); '
               'invisible(trace("unzip", where = asNamespace("utils"), tracer = quote(message("UNZIP CALLED")), '
               'print = FALSE)); ')
    return subprocess.run([rscript, "-e", prelude + code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


ROWS_R = 'cat(jsonlite::toJSON(lapply(t, nrow), auto_unbox = TRUE), "\\n")'


def test_one_line_in_r_loads_a_version_from_an_empty_cache(rscript, mirror, tmp_path):
    cache, work = tmp_path / "r-cache", tmp_path / "work"
    work.mkdir()
    res = run_r(rscript, f't <- download_dprk_relations("1.0.0"); {ROWS_R}', cache, mirror.url(), work)
    assert res.returncode == 0, res.stderr
    expected = {n: len(f) for n, f in dprk_relations.load(REPO / "build/1.0.0").items()}
    assert json.loads(res.stdout) == expected
    assert "UNZIP CALLED" in res.stderr  # the trace works, so its absence below means something
    assert entries(cache) == ["dprk-relations-1.0.0.zip"] and entries(work) == []
    assert mirror.requests == ["/good/v1.0.0/dprk-relations-1.0.0.zip"]
    # Fetched once: with the server stopped, the cached copy is checked and loaded.
    mirror.stop()
    again = run_r(rscript, f't <- download_dprk_relations("1.0.0"); {ROWS_R}', cache, mirror.url(), work)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == expected
    latest = run_r(rscript, 'tryCatch(download_dprk_relations("latest"), error = function(e) message(conditionMessage(e)))',
                   cache, mirror.url(), work)
    assert f"v{KNOWN[-1]}/dprk-relations-{KNOWN[-1]}.zip" in latest.stderr  # latest: the newest in the registry


@pytest.mark.parametrize("mode,message", [
    ("tampered", r"refused 1\.0\.0 from .*: sha256 [0-9a-f]{64} where the registry lists [0-9a-f]{64} "
                 r"\(corrupted or tampered with\); nothing was unpacked or kept"),
    ("padded", r"refused 1\.0\.0 from .*: 312232 bytes where the registry lists 246696"),
    # download.file() itself may notice the short body (libcurl does), or the size check does.
    ("truncated", r"could not download 1\.0\.0 from .*(partial file|downloaded length 123348).*; check your network"
                  r"|refused 1\.0\.0 from .*: 123348 bytes where the registry lists 246696"),
    ("unannounced", r"refused 1\.0\.0 from .*: 123348 bytes where the registry lists 246696 "
                    r"\(a transfer cut short, or not the published archive\)"),
])
def test_r_refuses_a_bad_archive_before_unpacking_anything(rscript, mirror, tmp_path, mode, message):
    cache, work = tmp_path / "r-cache", tmp_path / "work"
    work.mkdir()
    res = run_r(rscript, 't <- download_dprk_relations("1.0.0")', cache, mirror.url(mode), work)
    assert res.returncode != 0
    assert re.search(message, res.stderr), res.stderr
    assert "UNZIP CALLED" not in res.stderr
    assert entries(cache) == [] and entries(work) == []


def test_r_names_the_known_versions_and_says_when_there_is_no_download_location(rscript, tmp_path):
    cache, work = tmp_path / "r-cache", tmp_path / "work"
    work.mkdir()
    res = run_r(rscript, 'download_dprk_relations("9.9.9")', cache, None, work)
    assert res.returncode != 0
    assert f"unknown version '9.9.9': the published versions are {', '.join(KNOWN)}" in res.stderr
    if REGISTRY.base_url is None:
        res = run_r(rscript, 'download_dprk_relations("1.0.0")', cache, None, work)
        assert res.returncode != 0 and "no download location is set" in res.stderr, res.stderr
    assert entries(cache) == []


# -- the README's download section runs as shown -------------------------------


def _readme_blocks(lang: str) -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Downloading a published version")
    end = readme.find("\n## ", start + 3)
    return re.findall(rf"```{lang}\n(.*?)```", readme[start:end], flags=re.S)


def test_the_readme_download_snippets_run(rscript, mirror, tmp_path):
    (python,), (r,) = _readme_blocks("python"), _readme_blocks("r")
    site, work = installed_copy(tmp_path), tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), download.CACHE_ENV: str(tmp_path / "cache"),
           registry.BASE_URL_ENV: mirror.url()}
    out = subprocess.run([sys.executable, "-c", python], cwd=work, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    version = re.search(r'load\("(\d+\.\d+\.\d+)"\)', python).group(1)  # the version the README names
    assert out.stdout.startswith(f"{version} ") and " visits" in out.stdout
    res = subprocess.run(["Rscript", "-e", r], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**env, download.CACHE_ENV: str(tmp_path / "r-cache")})
    assert res.returncode == 0, res.stderr
    assert "visit_id" in res.stdout

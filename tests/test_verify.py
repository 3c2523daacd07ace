"""`verify` on a downloaded release: any flipped byte, any path that escapes, fails."""

import json
import os
import re
import shutil
import zipfile

import pytest

from conftest import run_cli
from dprk_relations.stages.verify import verify


@pytest.fixture(scope="module")
def release_dir(release):
    """The session's build of the sample; a test that damages it damages a copy."""
    return release


def test_a_clean_release_verifies_as_directory_and_zip(release_dir):
    assert verify(release_dir).ok
    out = run_cli("verify", next(release_dir.glob("*.zip")))
    assert out.returncode == 0 and "verified" in out.stdout


def test_every_single_flipped_byte_fails_naming_the_file(release_dir, tmp_path):
    files = sorted(p.relative_to(release_dir).as_posix() for p in release_dir.rglob("*") if p.is_file())
    assert len(files) > 20
    for rel in files:
        copy = tmp_path / rel.replace("/", "_")
        shutil.copytree(release_dir, copy)
        target = copy / rel
        data = bytearray(target.read_bytes())
        pos = len(data) // 2
        data[pos] ^= 0x01
        target.write_bytes(bytes(data))
        result = verify(copy)
        assert not result.ok, rel
        named = {f for f, _ in result.failures}
        assert rel in named or any(rel.endswith(".zip") and f.endswith(".zip") for f in named) or \
            (rel == "datapackage.json" and "datapackage.json" in " ".join(named)) or \
            (rel == "SHA256SUMS" and "SHA256SUMS" in " ".join(f + m for f, m in result.failures)), (rel, result.failures)
        shutil.rmtree(copy)


def test_flipped_byte_in_a_zip_fails(release_dir, tmp_path):
    zpath = next(release_dir.glob("*.zip"))
    data = bytearray(zpath.read_bytes())
    data[len(data) // 3] ^= 0xFF
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    out = run_cli("verify", bad, process=True)
    assert out.returncode == 1 and "FAILED" in out.stdout and "Traceback" not in out.stderr


def _zip_with(tmp_path, name, entries):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for entry, data, mode in entries:
            info = zipfile.ZipInfo(entry)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize("entry,mode,reason", [
    ("../evil.txt", 0o100644, "'..'"),
    ("/tmp/evil.txt", 0o100644, "absolute path"),
    ("rel/link", 0o120777, "link"),
    ("rel\\..\\evil.txt", 0o100644, "invalid characters"),
])
def test_path_traversal_and_links_in_a_zip_are_refused(tmp_path, entry, mode, reason):
    z = _zip_with(tmp_path, "evil.zip", [("rel/datapackage.json", b"{}", 0o100644), (entry, b"x", mode)])
    out = run_cli("verify", z)
    assert out.returncode == 1 and reason in out.stdout
    assert not (tmp_path.parent / "evil.txt").exists() and not os.path.exists("/tmp/evil.txt")


def test_a_descriptor_path_outside_the_release_is_refused(release_dir, tmp_path):
    copy = tmp_path / "r"
    shutil.copytree(release_dir, copy)
    desc = json.loads((copy / "datapackage.json").read_text())
    desc["resources"][0]["path"] = "../../etc/passwd"
    (copy / "datapackage.json").write_text(json.dumps(desc))
    result = verify(copy)
    assert not result.ok
    assert any("'..'" in m for _, m in result.failures)


def test_truncated_zip_is_refused(release_dir, tmp_path):
    zpath = next(release_dir.glob("*.zip"))
    cut = tmp_path / "cut.zip"
    cut.write_bytes(zpath.read_bytes()[: zpath.stat().st_size // 2])
    out = run_cli("verify", cut)
    assert out.returncode == 1 and "truncated or corrupt" in out.stdout


def test_a_damaged_parquet_page_behind_an_intact_footer_is_found(release_dir, tmp_path):
    """Found by the fuzz test once it asserted verify's verdict: hashes made to match a
    Parquet file whose data is damaged passed, as only the footer was read."""
    import hashlib

    root = tmp_path / "release"
    shutil.copytree(release_dir, root)
    next(root.glob("*.zip")).unlink()
    rel = "data/citations.parquet"
    data = bytearray((root / rel).read_bytes())
    middle = len(data) // 3  # inside the column chunks, far from the footer at the end
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    (root / rel).write_bytes(bytes(data))
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        if res["path"] == rel:
            res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    (root / "datapackage.json").write_text(json.dumps(desc, indent=2, ensure_ascii=False), encoding="utf-8")
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n"
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "SHA256SUMS"]
    (root / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    result = verify(root)
    assert not result.ok and any(f == rel for f, _ in result.failures), result.to_text()


def _resum(root):
    """SHA256SUMS made to match whatever the files now hold, as a careful tamperer would."""
    import hashlib

    (root / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n"
        for p in sorted(root.rglob("*")) if p.is_file() and p.name != "SHA256SUMS"), encoding="utf-8")


@pytest.mark.parametrize("damage,message", [
    (lambda data: data[:-1] + bytes([data[-1] ^ 1]), r"datapackage-parquet.json: sha256 [0-9a-f]{64}, expected"),
    (lambda data: data + b"\0", r"datapackage-parquet.json: \d+ bytes, expected \d+"),
], ids=["hash", "size"])
def test_parquet_files_are_sized_and_hashed_by_their_own_descriptor(release_dir, tmp_path, damage, message):
    # SHA256SUMS agrees with the damaged file: only datapackage-parquet.json can tell.
    root = tmp_path / "r"
    shutil.copytree(release_dir, root)
    next(root.glob("*.zip")).unlink()
    path = root / "data" / "aid.parquet"
    path.write_bytes(damage(path.read_bytes()))
    _resum(root)
    result = verify(root)
    assert not result.ok
    assert any(f == "data/aid.parquet" and re.match(message, m) for f, m in result.failures), result.failures


def test_a_parquet_file_in_no_descriptor_fails(release_dir, tmp_path):
    # Drop the Parquet descriptor and its checksum line: the Parquet files would go unsized and unread.
    root = tmp_path / "r"
    shutil.copytree(release_dir, root)
    next(root.glob("*.zip")).unlink()
    (root / "datapackage-parquet.json").unlink()
    _resum(root)
    result = verify(root)
    assert not result.ok
    missing = {f for f, m in result.failures if "listed in neither" in m}
    assert missing == {f"data/{p.name}" for p in (root / "data").glob("*.parquet")}, result.failures


def test_the_parquet_descriptor_must_be_a_descriptor(release_dir, tmp_path):
    root = tmp_path / "r"
    shutil.copytree(release_dir, root)
    next(root.glob("*.zip")).unlink()
    (root / "datapackage-parquet.json").write_text('{"resources": "data/"}', encoding="utf-8")
    _resum(root)
    result = verify(root)
    assert ("datapackage-parquet.json", "not a valid descriptor: it needs a list of resources") in result.failures


def test_the_published_releases_still_verify(repo):
    # Up to 2.0.0 the Parquet files were resources of datapackage.json: still read and checked.
    published = sorted(p for p in (repo / "build").iterdir() if p.is_dir() and p.name[0].isdigit())
    assert published
    for path in published:
        result = verify(path)
        assert result.ok, result.to_text()
        assert {f"data/{p.name}" for p in (path / "data").glob("*.parquet")} <= set(result.checked)

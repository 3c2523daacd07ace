"""The benchmark's synthetic data stays valid under the real schemas, and every
step it times runs to the end: a benchmark of failing commands measures nothing."""

import json
import subprocess
import sys

from conftest import REPO


def test_the_benchmark_runs_every_step_on_valid_data(tmp_path):
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "benchmark.py"), "--sizes", "300", "--repeat", "1",
                          "--settle", "0", "--json", "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    size = result["sizes"]["300"]
    assert size["rows"] >= 300
    for step in ("baseline", "validate_fast", "validate_frictionless", "build"):
        assert size[step]["exit"] == 0, (step, out.stderr[-3000:])
        assert size[step]["seconds"] > 0 and size[step]["ratio"] > 0
    assert all(result["startup"][k]["exit"] == 0 for k in result["startup"])
    assert result["cpu_budget"]["build_cpu_seconds"] > 0
    assert set(result["targets"]) == {"validate_fast ratio at the largest size", "build ratio at the largest size",
                                      "build peak MiB at the largest size", "--help seconds", "validate_real ratio"}


def test_each_run_follows_a_run_of_its_baseline_and_the_ratio_is_the_pairs(tmp_path, monkeypatch):
    """Pairs, not two separate series: the order of the runs, and the ratio taken pair by pair."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("benchmark", REPO / "scripts" / "benchmark.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "SETTLE", 0)
    log = tmp_path / "order"
    step = [sys.executable, "-c", f"open({str(log)!r}, 'a').write('s')"]
    base = [sys.executable, "-c", f"open({str(log)!r}, 'a').write('b')"]
    baselines = []
    got = bench.paired(step, base, 3, baselines, setup=lambda: log.write_text(log.read_text() + "x"))
    # The setup (a fresh output directory) comes before each run; the order within a pair alternates.
    assert log.read_text() == "bxs" + "xsb" + "bxs"
    assert len(baselines) == 3 and got["exit"] == 0
    # The ratio is the median of per-pair ratios (given times, not measured ones).
    times = iter([1.0, 3.0, 2.0, 2.0, 4.0, 4.0])  # (base, step), (step, base), (base, step): 3x, 1x, 1x
    monkeypatch.setattr(bench, "run", lambda cmd, cwd=None: (next(times), 10.0, 0, 1.0))
    got = bench.paired(step, base, 3, [])
    assert got["seconds"] == 3.0  # the median of 3, 2 and 4
    assert got["ratio"] == 1.0  # the ratio of the medians would be 3 / 2


def test_each_timed_run_waits_for_the_machine_to_settle_first(monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("benchmark", REPO / "scripts" / "benchmark.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    slept = []
    monkeypatch.setattr(bench.time, "sleep", slept.append)
    monkeypatch.setattr(bench, "SETTLE", 0.25)
    seconds, _, code, _ = bench.run([sys.executable, "-c", "pass"])
    assert slept == [0.25] and code == 0 and seconds > 0


def _bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location("benchmark", REPO / "scripts" / "benchmark.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_cpu_time_is_the_childs_work_not_its_waiting(monkeypatch):
    bench = _bench()
    monkeypatch.setattr(bench, "SETTLE", 0)
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass"
    _, _, _, busy = bench.run([sys.executable, "-c", spin])
    seconds, _, _, idle = bench.run([sys.executable, "-c", "import time; time.sleep(0.4)"])
    assert busy >= 0.4 and idle < 0.3 <= seconds


def test_the_cpu_budget_is_cores_times_the_limit_times_the_baseline():
    bench = _bench()
    result = {"machine": {"cpus": 2}, "sizes": {"10": {"baseline": {"seconds": 9.0}, "build": {"cpu_seconds": 1.0}},
                                                 "1000": {"baseline": {"seconds": 1.5}, "build": {"cpu_seconds": 12.0}}}}
    got = bench.cpu_budget(result)  # the largest size counts
    assert got["allowed_cpu_seconds"] == 2 * 3.0 * 1.5
    assert got["floor_ratio"] == 12.0 / 2 / 1.5


def test_build_stages_times_every_stage_of_a_build_of_the_real_data():
    """The stage script runs the build's own functions on the real package and writes nothing."""
    before = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "build").rglob("*"))
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "build_stages.py"), str(REPO), "--json"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout)
    assert [s["stage"] for s in got] == ["validate and derive (with imports)", "CSV", "Parquet",
                                         "formula check of the CSVs", "descriptor (hashes)",
                                         "codebook, figure, page (with matplotlib)", "zip", "total"]
    parts, total = got[:-1], got[-1]
    assert all(s["cpu_seconds"] >= 0 and s["seconds"] >= 0 for s in got)
    assert sum(s["seconds"] for s in parts) <= total["seconds"] + 1e-6
    assert parts[0]["seconds"] > 0 and parts[5]["seconds"] > 0
    assert sorted(p.relative_to(REPO).as_posix() for p in (REPO / "build").rglob("*")) == before


def test_build_stages_make_the_published_release_byte_for_byte():
    """The stages timed are the build's whole work: from the real raw data they give every
    file of the published release that the raw data reproduces, and no other."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_stages", REPO / "scripts" / "build_stages.py")
    stages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stages)
    _, files = stages.staged_build(REPO)
    from dprk_relations.stages.release import published_versions

    published = REPO / "build" / published_versions(REPO / "build")[-1]
    on_disk = {p.relative_to(published).as_posix(): p.read_bytes() for p in published.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(on_disk)
    assert [p for p in files if files[p] != on_disk[p]] == []

"""The benchmark's synthetic data stays valid under the real schemas, and every
step it times runs to the end: a benchmark of failing commands measures nothing."""

import json
import subprocess
import sys

from conftest import REPO


def test_the_benchmark_runs_every_step_on_valid_data(tmp_path):
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "benchmark.py"), "--sizes", "300", "--repeat", "1",
                          "--json", "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    size = result["sizes"]["300"]
    assert size["rows"] >= 300
    for step in ("baseline", "validate_fast", "validate_frictionless", "build"):
        assert size[step]["exit"] == 0, (step, out.stderr[-3000:])
        assert size[step]["seconds"] > 0 and size[step]["ratio"] > 0
    assert all(result["startup"][k]["exit"] == 0 for k in result["startup"])
    assert set(result["targets"]) == {"validate_fast ratio at the largest size", "build ratio at the largest size",
                                      "build peak MiB at the largest size", "--help seconds", "validate_real ratio"}

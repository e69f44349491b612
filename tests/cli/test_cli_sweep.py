"""``warmdesk sweep``: the bundled example as it is, chained and --cold, in this
process and on a local Dask cluster; bad input named, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..cli_runner import run_cli as warmdesk

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples" / "sweeps"
SWEEPS = sorted(EXAMPLES.glob("*_sweep.json"))


@pytest.mark.parametrize("sweep", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_each_example_sweep_runs_as_it_is_chained_and_cold(tmp_path: Path, sweep: Path
                                                           ) -> None:
    spec = json.loads(sweep.read_text())
    assert spec["format"] == "warmdesk.sweep/1" and len(SWEEPS) >= 2
    chained = warmdesk("sweep", sweep, "--workers", "0", "--json", library=tmp_path / "lib")
    cold = warmdesk("sweep", sweep, "--workers", "0", "--cold", "--json",
                    library=tmp_path / "lib")
    a, b = json.loads(chained.stdout), json.loads(cold.stdout)
    assert a["total"] >= 10 and a["done"] == b["done"] == a["total"]
    assert a["failed"] == b["failed"]          # the same points pass the check either way
    assert chained.returncode == cold.returncode == (1 if a["failed"] else 0)
    assert a["evaluations"] < 0.6 * b["evaluations"]
    assert {p["seed"] for p in b["points"]} == {"cold"}


def test_bratu_prints_a_bar_and_a_line_per_point_with_the_fold_failed(tmp_path: Path) -> None:
    done = warmdesk("sweep", EXAMPLES / "bratu_sweep.json", "--workers", "0",
                    library=tmp_path / "lib")
    assert done.returncode == 1                # past the fold: points fail the check
    assert "33/33 points, 5 failed" in done.stderr and "[####" in done.stderr
    lines = [line for line in done.stdout.splitlines() if "lam=" in line]
    assert len(lines) == 33
    assert sum("FAILED: the objective" in line for line in lines) == 5
    listed = warmdesk("runs", "--json", "--limit", "200", library=tmp_path / "lib")
    names = [r["name"] for r in json.loads(listed.stdout)]
    # every point is stored, named by its value, and the retries and halved steps
    # of the points past the fold as well
    assert {f"bratu lam={0.1 + 0.125 * i:.6g}" for i in range(33)} <= set(names)
    assert len(names) > 33 and any(", step at lam=" in n for n in names)


def test_on_a_local_dask_cluster(tmp_path: Path) -> None:
    done = warmdesk("sweep", EXAMPLES / "bratu_sweep.json", "--workers", "2",
                    library=tmp_path / "lib")
    assert "in 2 chains on a local Dask cluster of 2 worker processes" in done.stderr
    assert done.returncode == 1 and "33/33 points, 5 failed" in done.stdout.splitlines()[0]


def test_bad_sweeps_and_options_exit_2_naming_what(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "warmdesk.sweep/1", "problem": str(
        EXAMPLES / "bratu.json"), "vary": {"lam": {"from": 0, "to": 1, "num": 0}},
        "chaining": {"predictor": "cubic"}}))
    done = warmdesk("sweep", bad, "--workers", "0", library=tmp_path / "lib")
    assert done.returncode == 2
    assert "vary.lam.num" in done.stderr and "chaining.predictor" in done.stderr
    both = warmdesk("sweep", EXAMPLES / "bratu_sweep.json", "--workers", "2", "--scheduler",
                    "tcp://127.0.0.1:1", library=tmp_path / "lib")
    assert both.returncode == 2 and "not both" in both.stderr


def test_sigint_cancels_the_sweep_and_keeps_the_finished_points(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from warmdesk.core.library import Library

    sweep = tmp_path / "long.json"
    sweep.write_text(json.dumps({"format": "warmdesk.sweep/1", "name": "long",
                                 "problem": str(EXAMPLES / "bratu.json"),
                                 "vary": {"lam": {"from": 0.1, "to": 3.4, "num": 5000}}}))
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "warmdesk", "sweep", str(sweep),
                             "--workers", "0", "--json", "--library", str(tmp_path / "lib")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (tmp_path / "lib").exists():
            time.sleep(0.1)
        time.sleep(2.0)                      # some points finish
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    result = json.loads(out)
    assert result["cancelled"] and 0 < result["done"] < 5000
    assert "sweep cancelled" in err
    with Library(tmp_path / "lib") as library:
        assert library.count() == sum(len(p["runs"]) for p in result["points"])


def test_without_dask_the_default_runs_here_and_a_cluster_is_refused(tmp_path: Path) -> None:
    """As in the frozen app, which leaves Dask out (packaging/warmdesk.spec)."""
    import os
    import subprocess
    import sys

    blocked = tmp_path / "blocked" / "distributed"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('no dask here')\n")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked.parent), str(root)])}

    def sweep(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "warmdesk", "sweep",
                               str(EXAMPLES / "rosenbrock_sweep.json"), "--library",
                               str(tmp_path / "lib"), *args], capture_output=True, text=True,
                              env=env, timeout=120)

    here = sweep("--json")
    assert here.returncode == 0 and "Dask is not installed" in here.stderr
    assert json.loads(here.stdout)["done"] == 15
    cluster = sweep("--workers", "2")
    assert cluster.returncode == 2 and "need dask[distributed]" in cluster.stderr

"""Many processes on one library (issue 13, "Done when"): 16 ``warmdesk solve``
processes (half with ``--process``) and a reader calling ``warmdesk runs`` in a
loop, all real processes on one library, started together.

Afterwards: no process met "database is locked" (or "busy"), no run is lost,
every run is stored with the status its solver reported, and the reader never
saw a run with any status but ``running`` or that final one (a live run
listed ``interrupted`` is the bug this guards against).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from warmdesk.core.library import Library, RunQuery

from ..factories import rosenbrock

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SOLVERS = 16
#: Exit codes of a solve that ran (converged, or ended otherwise): anything else is an error.
SOLVED_EXIT_CODES = (0, 1)


def _command(*args: str) -> list[str]:
    # real processes: each opens the library on its own, all of them at once
    return [sys.executable, "-m", "warmdesk", *args]


def test_sixteen_solvers_and_a_reader_share_one_library(tmp_path: Path) -> None:
    library = tmp_path / "library"
    env = dict(os.environ, WARMDESK_LIBRARY=str(library))
    solvers = []
    for i in range(SOLVERS):
        spec = tmp_path / f"problem{i}.json"
        # ~0.5 s of Nelder-Mead each (some stop at their evaluation budget)
        spec.write_text(json.dumps(rosenbrock("Nelder-Mead", n=12, a=1.0 + 0.01 * i,
                                              maxfev=20_000 if i % 4 else 3_000)))
        extra = ["--process"] if i % 2 else []
        solvers.append(subprocess.Popen(_command("solve", str(spec), "--json", *extra),
                                        env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True))
    seen: dict[str, set[str]] = {}
    reader_errors: list[str] = []
    listings = 0
    while any(p.poll() is None for p in solvers) or listings < 2:
        out = subprocess.run(_command("runs", "--json", "--limit", "1000"), env=env,
                             capture_output=True, text=True, timeout=120)
        listings += 1
        if out.returncode != 0:
            reader_errors.append(out.stderr)
            continue
        for row in json.loads(out.stdout):
            seen.setdefault(row["id"], set()).add(row["status"])
    reported: dict[str, str] = {}
    solver_errors = []
    for p in solvers:
        stdout, stderr = p.communicate(timeout=120)
        if p.returncode not in SOLVED_EXIT_CODES or "locked" in stderr or "busy" in stderr:
            solver_errors.append(f"exit {p.returncode}: {stderr[-2000:]}")
            continue
        result = json.loads(stdout)
        reported[result["run_id"]] = result["status"]

    assert reader_errors == [], reader_errors[:3]
    assert solver_errors == [], solver_errors[:3]
    assert len(reported) == SOLVERS
    with Library(library) as lib:
        stored = {r["id"]: r["status"] for r in lib.query(RunQuery(limit=1000))}
        assert lib.check() == []
    assert set(stored) == set(reported), "runs lost, or runs nobody reported"
    wrong = {i: (reported[i], stored[i]) for i in reported if stored[i] != reported[i]}
    assert wrong == {}, f"stored with another status than their solver reported: {wrong}"
    false_sightings = {i: sorted(s - {"running", reported[i]}) for i, s in seen.items()
                       if s - {"running", reported[i]}}
    assert false_sightings == {}, f"the reader saw live runs as: {false_sightings}"
    assert listings >= 2

"""Start-up imports only what a command needs (issue 16: ``warmdesk solve``
spent most of its time importing). The kinds read their method tables from
``core/solvers/facts.py``; an adapter (and scipy with it) is imported when a
problem of its kind is first solved."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy", "scipy.optimize", "scipy.integrate", "autograd", "PySide6")


def _loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    return [m for m in HEAVY if m in loaded]


def test_the_command_line_and_the_core_start_without_scipy() -> None:
    assert _loaded_after("import warmdesk.cli, warmdesk.cli_library, warmdesk.core.problems, "
                         "warmdesk.core.engine, warmdesk.core.jobs, warmdesk.core.library, "
                         "warmdesk.core.kinds.registry") == []


def test_a_minimize_solve_imports_scipy_optimize_but_not_the_integrators() -> None:
    spec = {"format": "warmdesk.problem/1", "name": "q", "kind": "minimize",
            "variables": {"x": {"size": 2, "start": 1.0}}, "objective": "sum(x**2)",
            "solver": {"method": "BFGS"}}
    loaded = _loaded_after("import json\n"
                           "from warmdesk.core.engine import solve\n"
                           "from warmdesk.core.problems import problem_from_dict\n"
                           f"run = solve(problem_from_dict(json.loads({json.dumps(spec)!r})))\n"
                           "assert run.status.is_success, run.message")
    assert "scipy.optimize" in loaded and "scipy.integrate" not in loaded


def test_dask_loads_only_when_a_sweep_runs_on_a_cluster() -> None:
    """``warmdesk solve``, the app's core and even a sweep in this process never
    import Dask (issue 18): only ``core/sweeps/dask_runner.py`` and ``remote.py`` do."""
    script = ("import sys, json\n"
              "import warmdesk.cli, warmdesk.cli_sweep, warmdesk.core.sweeps\n"
              "import warmdesk.core.sweeps.dask_runner, warmdesk.core.sweeps.remote\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('dask', 'distributed'))))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT)})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []

"""How old_regression_runs.wdrun was made: with the code before the network
kind standardised a regression target (commit 6408886, checked out on its own:
``git archive 6408886 warmdesk | tar -x -C OLD``), run as
``PYTHONPATH=OLD python make_old_runs.py tests/core/solvers/old_runs``.
A converged run and an interrupted one (epoch 3, before mini-batch 3) of the
same problem: weights and losses in the target's units, no target scaling.
"""
import sys
from pathlib import Path
import numpy as np
from warmdesk.core.engine import solve
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers.base import SolveControl
from warmdesk.core.runfile_write import write_runfile
out = Path(sys.argv[1])
rng = np.random.default_rng(3)
rows = 160
x = rng.normal(size=(rows, 3))
f = np.sin(1.5 * x[:, 0]) + 0.5 * x[:, 1] ** 2 - 0.5 * x[:, 2]
y = 200 + 50 * f + 5 * rng.normal(size=rows)
lines = ["a,b,c,y"] + [",".join(f"{v:.6g}" for v in r) for r in np.column_stack([x, y])]
(out / "old_regression.csv").write_text("\n".join(lines) + "\n")
spec = {"format": "warmdesk.problem/1", "name": "old-regression", "kind": "network",
        "data": {"file": "old_regression.csv"}, "target": "y", "output": "regression",
        "layers": [6], "epochs": 5, "batch_size": 32, "seed": 4,
        "solver": {"method": "adam", "options": {"learning_rate": 0.05}}}
p = problem_from_dict(spec, base_dir=out)
full = solve(p)
stopped = solve(p, control=SolveControl(max_evaluations=2 * 4 + 2))
print(full.status, stopped.status, full.info["network"]["val_loss"], stopped.message)
write_runfile(out / "old_regression_runs.wdrun", [full, stopped])
print(full.id, stopped.id)

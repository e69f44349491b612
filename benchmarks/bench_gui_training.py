"""What live training curves cost: a network trained through the job runner
in a child process (as the app runs it), its live epoch tables counted and
weighed, against the same training with no listener; and the training-curves
view's frame for long tables.

Printed, for ``--epochs`` (default 3000; mlp_base's data, early stopping off):

- wall time of the job (child mode, through JobRunner) and of a plain
  ``engine.solve`` with no listener, the same problem: their difference is
  everything live progress costs (rows, iterates, live outputs, the pipe);
- live-output messages: count, total megabytes pickled, the largest one;
- the view: ms per frame (``live_outputs`` then ``flush``) for a live table of
  1,000 / 10,000 / 100,000 epochs, median of 20.

Run: ``python benchmarks/bench_gui_training.py [--epochs N]``.

Measured here (2 CPUs shared, load average ~3 to 5): 3000 epochs, plain solve
5.65 s (solver wall 5.63 s), job in a child 6.33 s (solver wall 5.73 s: +2%,
within the noise of the load); 110 live-output messages, 0.18 MB in all,
largest 2.5 kB (a grown table sends its new rows only; sending the whole
table each time was 9.78 MB for the same run); view frame 0.2 / 0.5 / 4.1 ms
(median) for 1,000 / 10,000 / 100,000 epochs.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT / "resources" / "examples"


def network(epochs: int):
    from warmdesk.core.problems import problem_from_dict

    spec = json.loads((EXAMPLES / "mlp_base.json").read_text())
    spec.update(epochs=epochs, early_stopping=None)
    return problem_from_dict(spec, base_dir=EXAMPLES)


def job_cost(epochs: int) -> None:
    from warmdesk.core.engine import solve
    from warmdesk.core.jobs import Job, JobRunner, LiveOutputs
    from warmdesk.core.library import Library

    t0 = time.perf_counter()
    plain = solve(network(epochs))
    t_plain = time.perf_counter() - t0
    sizes: list[int] = []

    def on_event(event: object) -> None:
        if isinstance(event, LiveOutputs):
            sizes.append(len(pickle.dumps(event.outputs, protocol=pickle.HIGHEST_PROTOCOL)))

    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "lib") as lib:
        t0 = time.perf_counter()
        result = JobRunner(lib, Job(network(epochs), mode="child"), on_event,
                           progress_interval_s=0.05).run()
        t_job = time.perf_counter() - t0
    assert result.run is not None and result.run.status == "converged", result.error
    assert plain.status == "converged"
    print(f"epochs {epochs}: plain solve {t_plain:.2f} s (solver wall {plain.wall_s:.2f} s); "
          f"job in a child {t_job:.2f} s (solver wall {result.run.wall_s:.2f} s)")
    print(f"live outputs: {len(sizes)} messages, {sum(sizes) / 1e6:.2f} MB in all, "
          f"largest {max(sizes or [0]) / 1e3:.1f} kB")


def frame_cost() -> None:
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from warmdesk.core.runs import HISTORY_COLUMNS
    from warmdesk.gui.plot.training_curves import TrainingCurves

    app = QApplication.instance() or QApplication([])
    view = TrainingCurves()
    view.resize(1000, 600)
    view.show()
    app.processEvents()
    for n in (1_000, 10_000, 100_000):
        epochs = np.arange(1, n + 1, dtype=float)
        loss = 1.0 / np.sqrt(epochs)
        table = np.column_stack([epochs, loss, loss * 1.1, 1 - loss, 1 - loss * 1.1,
                                 np.full(n, 1e-3), epochs * 1e-3])
        rows = np.full((n, len(HISTORY_COLUMNS)), np.nan)
        rows[:, 0], rows[:, 4] = epochs, loss
        run_id = f"run{n}"
        view.begin_live(run_id, f"{n} epochs")
        view.append_rows(run_id, rows)
        times = []
        for k in range(20):
            t0 = time.perf_counter()
            view.live_outputs(run_id, {"epochs": table[: n - 20 + k]})
            view.flush()
            view.view.repaint()
            times.append((time.perf_counter() - t0) * 1e3)
        print(f"view frame with a live table of {n} epochs: median "
              f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms")
        view.remove_run(run_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3000)
    args = parser.parse_args()
    print(f"CPUs {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    job_cost(args.epochs)
    frame_cost()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

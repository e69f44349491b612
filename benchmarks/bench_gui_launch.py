"""Launch-to-usable time of the desktop app over a library of 100,000 runs
(target < 1.5 s).

Each launch is a fresh Python process started the way a user starts the app
(`python -m warmdesk --library DIR`), offscreen. "Usable" is the moment the
main window is shown with the library's first page of runs in its table (the
window's ``ready`` signal); the clock starts just before the process is
spawned, so interpreter start-up and every import count. The library is built
once (by bench_suggest_scale's builder: 100,000 runs, short histories) in
--library DIR and reused.

    python benchmarks/bench_gui_launch.py --library /tmp/biglib [--launches 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.5

CHILD = r"""
import sys, time
from warmdesk.gui.app import make_application, parse_gui_args
from warmdesk.gui.settings import AppSettings
from warmdesk.core.library import Library
t_import = time.time()
app = make_application([])
from warmdesk.gui.main_window import MainWindow
settings = AppSettings()
library = Library(sys.argv[1])
window = MainWindow(library, settings)
window.resize(1440, 900)
marks = {}
def ready():
    marks["ready"] = time.time()
    rows = window.browser.model.rowCount()
    print(f"READY {marks['ready']:.6f} IMPORTS {t_import:.6f} ROWS {rows}", flush=True)
    app.quit()
window.ready.connect(ready)
window.show()
run_event_loop = app.exec
run_event_loop()
window.manager.stop_all()
library.close()
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True,
                        help="folder of a 100,000-run library (built there if missing)")
    parser.add_argument("--launches", type=int, default=7)
    args = parser.parse_args()
    folder = Path(args.library)
    lib_dir = folder / "lib"
    if not (lib_dir / "library.sqlite").exists():
        print(f"building the library in {folder} (bench_suggest_scale's builder)...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_suggest_scale.py"),
                        "--keep", str(folder), "--calls", "1"], check=True)
    sys.path.insert(0, str(ROOT))
    from warmdesk.core.library import Library
    with Library(lib_dir) as lib:
        n = lib.count()
    print("=" * 100)
    print(f"launch to usable window, library of {n:,} runs ({lib_dir}); {os.cpu_count()} CPUs; "
          f"load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "WARMDESK_SETTINGS": str(Path(tmp) / "settings.ini")}
        totals, imports = [], []
        for i in range(args.launches + 1):
            t0 = time.time()
            proc = subprocess.run([sys.executable, "-c", CHILD, str(lib_dir)], env=env,
                                  capture_output=True, text=True, timeout=120, cwd=ROOT)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("READY")), None)
            if line is None:
                print(proc.stdout, proc.stderr)
                return 1
            parts = line.split()
            ready, t_imp, rows = float(parts[1]), float(parts[3]), int(parts[5])
            label = "warm-up (discarded)" if i == 0 else f"launch {i}"
            print(f"  {label:20s} usable after {ready - t0:6.3f} s  (imports done at "
                  f"{t_imp - t0:5.3f} s; table rows {rows:,})")
            if i:
                totals.append(ready - t0)
                imports.append(t_imp - t0)
    med = statistics.median(totals)
    print(f"launch-to-usable: median {med:.3f} s, worst {max(totals):.3f} s, best "
          f"{min(totals):.3f} s over {len(totals)} launches (imports median "
          f"{statistics.median(imports):.3f} s); target < {TARGET_S} s: "
          f"{'PASS' if med < TARGET_S else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

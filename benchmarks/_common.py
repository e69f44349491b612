"""Shared helpers for the WarmDesk benchmark scripts (not a benchmark itself).

Everything here builds problems through the public spec format
(``problem_from_dict``) and prints plain-text tables; nothing touches the
engine's internals.
"""

from __future__ import annotations

import os
import sys

#: BLAS threading. On this 2-core machine OpenBLAS's default threading makes
#: scipy's L-BFGS-B (setulb) about 10-20x slower and bimodal in wall time for
#: small n, which swamps every wall-time figure. The benchmarks therefore pin
#: BLAS to one thread unless the caller set the variables or passed
#: --native-blas. This must run before numpy is imported.
NATIVE_BLAS = "--native-blas" in sys.argv
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if not NATIVE_BLAS:
    for _var in BLAS_VARS:
        os.environ.setdefault(_var, "1")

import argparse
import math
import platform
import statistics
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

FORMAT = "warmdesk.problem/1"


# --------------------------------------------------------------------------- CLI / output

def parse_args(description: str,
               more: Callable[[argparse.ArgumentParser], None] | None = None,
               quick_help: str = "a reduced version that finishes in under a minute"
               ) -> argparse.Namespace:
    """--quick, the options ``more`` adds (if given), and --native-blas."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    if more is not None:
        more(parser)
    parser.add_argument("--native-blas", action="store_true",
                        help="do not pin BLAS to one thread (see _common.NATIVE_BLAS)")
    return parser.parse_args()


def banner(title: str, quick: bool) -> None:
    import scipy

    import warmdesk
    print("=" * 100)
    print(f"{title}   [{'quick' if quick else 'full'} mode]")
    print(f"warmdesk {warmdesk.__version__}  numpy {np.__version__}  scipy {scipy.__version__}  "
          f"python {platform.python_version()}  ({platform.machine()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs)")
    blas = ", ".join(f"{v}={os.environ.get(v, '(unset)')}" for v in BLAS_VARS)
    print(f"BLAS threads: {blas}"
          + ("  [--native-blas]" if NATIVE_BLAS else "  [pinned by the benchmark unless set; "
             "--native-blas to keep the default]"))
    print("=" * 100)


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return f"{v:.2e}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
                title: str | None = None) -> None:
    """``columns`` is a list of (key, header). Numbers are right-aligned."""
    if title:
        print()
        print(title)
        print("-" * len(title))
    cells = [[h for _, h in columns]]
    numeric = [True] * len(columns)
    for row in rows:
        line = []
        for i, (key, _) in enumerate(columns):
            v = row.get(key)
            if isinstance(v, str) or v is None:
                numeric[i] = numeric[i] and v is None
            line.append(fmt(v))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    for j, line in enumerate(cells):
        out = []
        for i, c in enumerate(line):
            out.append(c.rjust(widths[i]) if numeric[i] and j else c.ljust(widths[i]))
        print("  ".join(out).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def median(values: Iterable[float]) -> float:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return statistics.median(vals) if vals else math.nan


def worst(values: Iterable[float]) -> float:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return max(vals) if vals else math.nan


def short_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= 160 else text[:157] + "..."


def finish(failures: Sequence[str], t_start: float) -> int:
    """The closing lines every benchmark prints; returns its exit code (0)."""
    print()
    print(f"Failures: {len(failures)}")
    for f in failures:
        print("  " + f)
    print(f"Total wall time: {time.perf_counter() - t_start:.1f} s")
    return 0


def guarded(label: str, fn: Callable[[], Any], failures: list[str]) -> Any:
    """Run ``fn``; on any exception print FAILED with the message and return None."""
    try:
        return fn()
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a benchmark case must never end the script
        msg = f"FAILED  {label}: {short_error(exc)}"
        print(msg)
        tb = traceback.format_exc(limit=3).strip().splitlines()
        print("        " + " | ".join(t.strip() for t in tb[-3:])[:300])
        failures.append(msg)
        sys.stdout.flush()
        return None


# --------------------------------------------------------------------------- problem specs

def rosenbrock_spec(method: str = "BFGS", n: int = 10, a: float = 1.0, b: float = 100.0,
                    start: float | list[float] = 0.0, lower: float = -5.0, upper: float = 5.0,
                    **options: Any) -> dict[str, Any]:
    from warmdesk.core.method_capabilities import honours_bounds

    x: dict[str, Any] = {"size": n, "start": start}
    if honours_bounds("minimize", method):  # the others refuse bounds
        x.update(lower=lower, upper=upper)
    return {"format": FORMAT, "name": f"rosenbrock-{n}", "kind": "minimize",
            "variables": {"x": x},
            "parameters": {"a": a, "b": b},
            "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
            "solver": {"method": method, "options": options}}


def constrained_spec(method: str, c: list[float], q: list[float], s: float, r: float,
                     start: list[float], **options: Any) -> dict[str, Any]:
    """A smooth nonconvex-quartic objective on a bounded set with one equality
    (sum x = s) and one inequality (|x|^2 <= r) that are active at the optimum."""
    n = len(c)
    return {"format": FORMAT, "name": f"constrained-{n}", "kind": "minimize",
            "variables": {"x": {"size": n, "start": start, "lower": -3.0, "upper": 3.0}},
            "parameters": {"c": c, "q": q, "s": s, "r": r},
            "objective": "sum(q*(x - c)**2) + 0.1*sum(x**4) + 0.5*sum(x[1:]*x[:-1])",
            "constraints": [{"type": "eq", "expr": "sum(x) - s", "name": "budget"},
                            {"type": "ineq", "expr": "r - sum(x**2)", "name": "ball"}],
            "solver": {"method": method, "options": options}}


PEAK_MODEL = ("A[0]*exp(-(x-mu[0])**2/(2*sig[0]**2)) + A[1]*exp(-(x-mu[1])**2/(2*sig[1]**2))"
              " + c")
PEAK_TRUE = {"A": [2.0, 1.0], "mu": [3.0, 6.5], "sig": [0.5, 0.8], "c": 0.1}


def peak_values(x: np.ndarray, theta: dict[str, Any]) -> np.ndarray:
    A, mu, sig, c = (np.asarray(theta[k], dtype=float) for k in ("A", "mu", "sig", "c"))
    y = np.full_like(x, float(c))
    for i in range(A.size):
        y += A[i] * np.exp(-(x - mu[i]) ** 2 / (2 * sig[i] ** 2))
    return y


def write_csv(path: Path, columns: list[str], data: np.ndarray) -> Path:
    lines = [",".join(columns)]
    lines += [",".join(repr(float(v)) for v in row) for row in np.atleast_2d(data)]
    path.write_text("\n".join(lines) + "\n")
    return path


def fit_spec(method: str, file: str, start: dict[str, Any], bounded: bool = True,
             model: str = PEAK_MODEL, **options: Any) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for name, value in start.items():
        var: dict[str, Any] = {"start": value}
        if bounded and name == "A":
            var.update(lower=0.0, upper=20.0)
        if bounded and name == "sig":
            var.update(lower=0.01, upper=10.0)
        variables[name] = var
    return {"format": FORMAT, "name": "peaks", "kind": "fit", "variables": variables,
            "data": {"file": file}, "target": "y", "sigma": "s", "model": model,
            "solver": {"method": method, "options": options}}


def train_spec(model: str, method: str, file: str, l2: float = 1e-2,
               **options: Any) -> dict[str, Any]:
    return {"format": FORMAT, "name": f"{model}-train", "kind": "train",
            "data": {"file": file}, "target": "label", "model": model, "l2": l2,
            "solver": {"method": method, "options": options}}


def lotka_volterra_spec(method: str, alpha: float = 1.1, beta: float = 0.4, delta: float = 0.1,
                        gamma: float = 0.4, t1: float = 50.0, **options: Any) -> dict[str, Any]:
    opts = {"rtol": 1e-8, "atol": 1e-10, **options}
    return {"format": FORMAT, "name": "lotka-volterra", "kind": "ode",
            "state": {"prey": 10.0, "pred": 5.0},
            "parameters": {"alpha": alpha, "beta": beta, "delta": delta, "gamma": gamma},
            "rhs": {"prey": "alpha*prey - beta*prey*pred",
                    "pred": "delta*prey*pred - gamma*pred"},
            "t_span": [0, t1], "t_eval": 101, "checkpoints": 20,
            "solver": {"method": method, "options": opts}}


def robertson_spec(method: str, k1: float = 0.04, k2: float = 3e7, k3: float = 1e4,
                   t1: float = 1000.0, **options: Any) -> dict[str, Any]:
    opts = {"rtol": 1e-6, "atol": 1e-10, **options}
    return {"format": FORMAT, "name": "robertson", "kind": "ode",
            "state": {"y1": 1.0, "y2": 0.0, "y3": 0.0},
            "parameters": {"k1": k1, "k2": k2, "k3": k3},
            "rhs": {"y1": "-k1*y1 + k3*y2*y3", "y2": "k1*y1 - k3*y2*y3 - k2*y2**2",
                    "y3": "k2*y2**2"},
            "t_span": [0, t1], "t_eval": 101, "checkpoints": 20,
            "solver": {"method": method, "options": opts}}

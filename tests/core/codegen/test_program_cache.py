"""The generated-program cache (warmdesk.core.codegen.cache) keys by content: a spec
parsed again finds its programs; any change of what a program depends on builds
another; a value changed in place never meets a stale program; the bounds evict
oldest first; threads share programs correctly. Real parser, engine and solvers;
each test has a cache of its own in place of the process's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import warmdesk
from warmdesk.core import codegen, engine
from warmdesk.core.codegen import cache
from warmdesk.core.expressions import parse
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.status import Status

FORMAT = "warmdesk.problem/1"
ROSENBROCK = "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)"


@pytest.fixture(autouse=True)
def programs(monkeypatch: pytest.MonkeyPatch) -> cache.ProgramCache:
    fresh = cache.ProgramCache()
    monkeypatch.setattr(cache, "PROGRAMS", fresh)
    return fresh


def rosenbrock(n: int = 2, a: float = 1.0, b: float = 100.0, objective: str = ROSENBROCK,
               method: str = "L-BFGS-B") -> dict[str, Any]:
    return {"format": FORMAT, "name": f"rosenbrock-{n}", "kind": "minimize",
            "variables": {"x": {"size": n, "start": 0.0}}, "parameters": {"a": a, "b": b},
            "objective": objective, "solver": {"method": method, "options": {}}}


def shifted(c: list[float]) -> dict[str, Any]:
    """A vector parameter the generated code reads (and precomputes from: c*c)."""
    return {"format": FORMAT, "name": "shifted", "kind": "minimize",
            "variables": {"x": {"size": len(c), "start": 0.0}}, "parameters": {"c": c},
            "objective": "sum((x - c)**2 * (1 + c*c)) + 0.1*sum(x**4)",
            "solver": {"method": "BFGS", "options": {}}}


def decay(folder: Path, rows: int = 200, scale: float = 10.0) -> dict[str, Any]:
    t = np.linspace(0.0, scale, rows)
    y = 2.5 * np.exp(-0.7 * t) + 0.3 + np.random.default_rng(1).normal(0, 0.01, rows)
    path = folder / f"decay-{rows}-{scale}.csv"
    np.savetxt(path, np.column_stack([t, y]), delimiter=",", header="t,y", comments="")
    return {"format": FORMAT, "name": "decay", "kind": "fit",
            "variables": {"A": {"start": 1.0}, "k": {"start": 0.5}, "c": {"start": 0.0}},
            "data": {"file": str(path)}, "target": "y", "model": "A*exp(-k*t) + c",
            "solver": {"method": "trf", "options": {}}}


def robertson() -> dict[str, Any]:
    return {"format": FORMAT, "name": "robertson", "kind": "ode",
            "state": {"y1": 1.0, "y2": 0.0, "y3": 0.0},
            "parameters": {"k1": 0.04, "k2": 3e7, "k3": 1e4},
            "rhs": {"y1": "-k1*y1 + k3*y2*y3", "y2": "k1*y1 - k3*y2*y3 - k2*y2**2",
                    "y3": "k2*y2**2"},
            "t_span": [0, 40.0], "t_eval": 11,
            "solver": {"method": "Radau", "options": {"rtol": 1e-6, "atol": 1e-10}}}


def solve(spec: dict[str, Any], folder: Path | None = None) -> dict[str, list[float]]:
    run = engine.solve(problem_from_dict(spec, base_dir=folder))
    assert run.status == Status.CONVERGED, run.message
    return {k: np.asarray(v, dtype=float).ravel().tolist()
            for k, v in {**run.solution, **run.outputs}.items()}


def fresh_process(specs: list[dict[str, Any]]) -> list[dict[str, list[float]]]:
    """The same solves in a new Python process (an empty cache), bit for bit."""
    script = ("import json, sys\n"
              "import numpy as np\n"
              "from warmdesk.core import engine\n"
              "from warmdesk.core.problems import problem_from_dict\n"
              "out = []\n"
              "for spec in json.loads(sys.stdin.read()):\n"
              "    run = engine.solve(problem_from_dict(spec))\n"
              "    out.append({k: np.asarray(v, dtype=float).ravel().tolist()\n"
              "                for k, v in {**run.solution, **run.outputs}.items()})\n"
              "print(json.dumps(out))\n")
    root = str(Path(warmdesk.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(specs), env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)   # type: ignore[no-any-return]


@pytest.mark.parametrize("case", ["rosenbrock", "decay", "robertson"])
def test_a_spec_parsed_again_builds_no_program(case: str, tmp_path: Path,
                                               programs: cache.ProgramCache) -> None:
    spec = {"rosenbrock": lambda: rosenbrock(), "decay": lambda: decay(tmp_path),
            "robertson": robertson}[case]()
    first = solve(spec, tmp_path)
    built = programs.info().builds
    assert built >= 1
    again = solve(spec, tmp_path)   # new Expression objects, new arrays, same content
    info = programs.info()
    assert info.builds == built, f"{case}: the second solve generated code again"
    assert info.hits >= 1
    assert again == first


@pytest.mark.parametrize("change", ["parameter", "negative zero", "expression", "size",
                                    "data column"])
def test_a_change_of_what_a_program_depends_on_builds_or_rebinds_another(
        change: str, tmp_path: Path, programs: cache.ProgramCache) -> None:
    """Other code (expression, size) is built; other values of the same types and
    shapes are rebound from the template (the same code, new globals)."""
    base, other = {
        "parameter": (rosenbrock(b=100.0), rosenbrock(b=101.0)),
        # 0.0 == -0.0, yet 1/a differs: keyed by bytes, not by equality
        "negative zero": (rosenbrock(a=0.0), rosenbrock(a=-0.0)),
        "expression": (rosenbrock(), rosenbrock(objective=ROSENBROCK.replace(")**2)", ")**4)"))),
        "size": (rosenbrock(n=2), rosenbrock(n=3)),
        "data column": (decay(tmp_path, scale=10.0), decay(tmp_path, scale=12.0)),
    }[change]
    solve(base, tmp_path)
    built, rebound = programs.info().builds, programs.info().rebinds
    assert solve(other, tmp_path) == fresh_process([other])[0]
    rebind = change in ("parameter", "negative zero", "data column")
    assert programs.info().builds == built + (not rebind)
    assert programs.info().rebinds == rebound + rebind
    assert programs.info().programs == 2


def test_a_parameter_changed_in_place_never_meets_a_stale_program(
        programs: cache.ProgramCache) -> None:
    c0, c1 = [0.5, -1.0, 2.0], [1.5, 0.25, -0.75]
    problem = problem_from_dict(shifted(c0))
    engine.solve(problem)
    assert programs.info().programs == 1
    problem.parameters["c"][:] = c1   # in place, after its program was built
    changed = engine.solve(problem)
    assert programs.info().programs == 2   # other content: another program
    again = solve(shifted(c0))   # the first program, found again: built from a copy
    assert programs.info().hits == 1
    expect_changed, expect_again = fresh_process([shifted(c1), shifted(c0)])
    assert np.asarray(changed.solution["x"]).tolist() == expect_changed["x"]
    assert again == expect_again


def test_a_program_reads_its_own_copy_of_the_fixed_values() -> None:
    c = np.array([1.0, 2.0, 3.0])
    expr = parse("sum((x - c)**2) + sum(c*c)", ["x", "c"])
    layout = codegen.layout_of([SimpleNamespace(name="x", size=3, scalar=False)], {"c": c})
    x = np.zeros(3)
    program = codegen.scalar_program(expr, layout, x)
    assert program is not None
    before = program.value_and_grad(x)
    c[:] = -5.0   # the caller's array, changed in place
    after = program.value_and_grad(x)
    assert after[0] == before[0] == 28.0
    assert np.array_equal(after[1], before[1])


def test_only_the_values_an_expression_names_are_keyed_and_held(
        tmp_path: Path, programs: cache.ProgramCache) -> None:
    rows = 500
    t = np.linspace(0.0, 10.0, rows)
    y = 2.5 * np.exp(-0.7 * t) + 0.3
    spec = decay(tmp_path, rows=rows)
    for i, other in enumerate((np.zeros(rows), np.ones(rows))):   # a column the model ignores
        path = tmp_path / f"wide-{i}.csv"
        np.savetxt(path, np.column_stack([t, other, y]), delimiter=",", header="t,w,y",
                   comments="", fmt="%.17g")
        solve({**spec, "data": {"file": str(path)}}, tmp_path)
    info = programs.info()
    assert (info.builds, info.hits, info.held_bytes) == (1, 1, rows * 8)


def made(programs: cache.ProgramCache) -> int:
    """Programs built or rebound from a template (not found)."""
    return programs.info().builds + programs.info().rebinds


def test_eviction_by_count_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    small = cache.ProgramCache(max_programs=2)
    monkeypatch.setattr(cache, "PROGRAMS", small)
    for n in (2, 3, 4):
        solve(rosenbrock(n=n))
    assert small.info().programs == 2 and made(small) == 3
    solve(rosenbrock(n=3))   # found: now the newest
    assert made(small) == 3
    solve(rosenbrock(n=5))   # evicts n=4, the least recently used
    solve(rosenbrock(n=3))
    assert made(small) == 4
    solve(rosenbrock(n=4))
    assert made(small) == 5
    solve(rosenbrock(n=2))   # evicted by n=4 long ago
    assert made(small) == 6
    info = small.info()
    assert info.programs == 2 and info.templates == 2


def test_eviction_by_bytes_oldest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    column = 1000 * 8   # a fit holds its column t (the target is not a fixed value)
    small = cache.ProgramCache(max_bytes=2 * column + 100)
    monkeypatch.setattr(cache, "PROGRAMS", small)
    for scale in (10.0, 11.0, 12.0):   # other columns: the first template, rebound
        solve(decay(tmp_path, rows=1000, scale=scale), tmp_path)
    info = small.info()
    assert (made(small), info.builds, info.programs, info.held_bytes) == (3, 1, 2, 2 * column)
    solve(decay(tmp_path, rows=1000, scale=12.0), tmp_path)
    assert made(small) == 3
    solve(decay(tmp_path, rows=1000, scale=10.0), tmp_path)   # the oldest went first
    assert made(small) == 4
    large = decay(tmp_path, rows=3000)   # alone above the bound: made, not kept
    solve(large, tmp_path)
    solve(large, tmp_path)
    info = small.info()
    assert (made(small), info.programs, info.held_bytes) == (6, 2, 2 * column)


def test_threads_share_programs_correctly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    specs = [rosenbrock(n=6), shifted([0.5, -1.0, 2.0, 0.1]), decay(tmp_path), robertson()]
    expected = [solve(spec, tmp_path) for spec in specs]   # one by one
    shared = cache.ProgramCache()
    monkeypatch.setattr(cache, "PROGRAMS", shared)
    jobs = specs * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda spec: solve(spec, tmp_path), jobs))
    assert results == expected * 4
    info = shared.info()
    assert info.programs == len(specs)
    assert info.hits + info.builds == len(jobs)


def test_a_lazy_jacobian_is_built_once_for_all_threads() -> None:
    n = codegen.programs.EAGER_IDENTITY + 6   # Jacobian code built at the first Jacobian
    expr = parse("x**2 - a", ["x", "a"])
    layout = codegen.layout_of([SimpleNamespace(name="x", size=n, scalar=False)], {"a": 1.0})
    x = np.linspace(-1.0, 1.0, n)
    program = codegen.vector_program([(expr, None)], layout, x)
    assert program is not None
    with ThreadPoolExecutor(max_workers=4) as pool:
        jacobians = list(pool.map(lambda _: program.jacobian(x), range(8)))
    for jac in jacobians:
        assert np.array_equal(jac, np.diag(2 * x))


def test_values_are_keyed_by_type_and_exact_content() -> None:
    keys = [cache.freeze_env({"a": v}) for v in
            (1, 1.0, True, np.float64(1.0), np.float32(1.0), np.array(1.0), np.array([1.0]),
             np.array(1, dtype=np.int64), 0.0, -0.0, np.array([0.0]), np.array([-0.0]))]
    assert all(k is not None for k in keys)
    assert len({k[0] for k in keys if k is not None}) == len(keys)
    column = np.arange(12.0).reshape(3, 4)[:, 1]   # a strided view
    frozen = cache.freeze_env({"t": column})
    assert frozen is not None
    _, copies, held, _ = frozen
    assert np.array_equal(copies["t"], column) and held == column.nbytes
    assert not copies["t"].flags.writeable
    with pytest.raises(ValueError):
        copies["t"].flags.writeable = True   # backed by immutable bytes
    for unkeyable in ([1.0, 2.0], np.array(["a"]), np.array([1.0]).view(np.matrix), "1"):
        assert cache.freeze_env({"a": unkeyable}) is None

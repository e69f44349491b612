"""A program found again for other fixed values of the same types and shapes is
rebound, not generated again (codegen.cache, the second level): its compiled code
reads the new values (and what is precomputed from them, recomputed) from new
globals. Each rebound program must give bit for bit what a fresh build for the
new values gives (the same code, the same numpy operations on the same numbers:
nothing is reassociated), for every kind of program and every case of the
derivative tests; and a value the generated code itself depends on (a folded
exponent) is part of the key, so its change builds again."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmdesk.core import codegen
from warmdesk.core.codegen import cache
from warmdesk.core.expression_tree import _EVAL_ERRORS
from warmdesk.core.expressions import parse

from .test_generated_derivatives import CASES, NAMES, _setup, unit

Build = Callable[[Any, np.ndarray], Any]


@pytest.fixture(autouse=True)
def programs(monkeypatch: pytest.MonkeyPatch) -> cache.ProgramCache:
    fresh = cache.ProgramCache()
    monkeypatch.setattr(cache, "PROGRAMS", fresh)
    return fresh


def same(a: Any, b: Any) -> bool:
    """Bit for bit: type, dtype, shape and bytes (NaNs and signed zeros as stored)."""
    if a is None or isinstance(a, str):
        return a == b
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(same, a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def fresh_build(build: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The program built from nothing (an empty cache of its own)."""
    with monkeypatch.context() as m:
        m.setattr(cache, "PROGRAMS", cache.ProgramCache())
        return build()


def outputs(kind: str, program: Any, x: np.ndarray, t: float = 0.7) -> list[Any]:
    """Everything a program computes, each at two points (and, for an ODE, times);
    an error as its type (``1.0 / 0`` of a Python int raises: both must raise)."""
    if program is None:
        return [None]
    points = [x, x * 0.75 + 0.05]
    d = np.linspace(-1.0, 1.0, x.size)
    if kind == "scalar":
        calls = [(f, (p,)) for p in points for f in (program.value, program.value_and_grad)]
    elif kind == "hvp":
        calls = [(program, (p, d)) for p in points]
    elif kind == "ode":
        calls = [(f, (s, p)) for p in points for s in (0.0, t)
                 for f in (program.value, program.jacobian)]
    else:
        calls = [(f, (p,)) for p in points for f in (program.value, program.jacobian)]
    out: list[Any] = []
    for f, args in calls:
        try:
            out.append(f(*args))
        except _EVAL_ERRORS as exc:
            out.append(type(exc).__name__)
    return out


def build_of(kind: str, exprs: list[Any], length: int | None = None) -> Build:
    if kind == "scalar":
        return lambda layout, x: codegen.scalar_program(exprs[0], layout, x)
    if kind == "hvp":
        return lambda layout, x: codegen.hvp_program(exprs[0], layout, x)
    return lambda layout, x: codegen.vector_program([(e, length) for e in exprs], layout, x)


def check(kind: str, build: Build, first: Any, second: Any, x: np.ndarray,
          monkeypatch: pytest.MonkeyPatch, programs: cache.ProgramCache,
          rebound: bool | None = True, call_first: bool = True) -> None:
    """Build for layout ``first``, then look up ``second``: rebound (not generated)
    when ``rebound``, generated again when False, either when None; the same bits
    as a fresh build for ``second`` in every case."""
    one = build(first, x)
    if call_first:   # (or not: the lazily compiled code is then compiled by the rebound)
        outputs(kind, one, x)
    before = programs.info()
    two = build(second, x)
    after = programs.info()
    expected = fresh_build(lambda: build(second, x), monkeypatch)
    got, want = outputs(kind, two, x), outputs(kind, expected, x)
    assert all(map(same, got, want)), (kind, got, want)
    if two is not None and one is not None:
        # the first program is untouched by the rebinding
        again = fresh_build(lambda: build(first, x), monkeypatch)
        assert all(map(same, outputs(kind, one, x), outputs(kind, again, x)))
    if rebound is not None and one is not None:
        assert (after.rebinds - before.rebinds, after.builds - before.builds) == (
            (1, 0) if rebound else (0, 1))


def scalars(names: list[str], n: int = 3) -> list[SimpleNamespace]:
    return [SimpleNamespace(name=names[0], size=n, scalar=False)]


# ------------------------------------------------------------------ the corpus, all kinds

# Exponents that are fixed values: folded into the code, so their values are pinned
# (another value builds again); a vector exponent is not folded (rebound).
EXPONENTS = ["{U}**{Q}", "power({U} + 1, {Q} - 1)", "{U}**({Q}*{Q}) + {U}**{P}",
             "{V}**{Q} * {U}", "tan({U}*{Q})**2", "({U} - {V})**{Q}"]
params = st.one_of(st.floats(0.5, 1.5), st.sampled_from([0.0, -0.0, 1.0, 2.0, np.nan,
                                                         np.inf, -3.0, 1e300]))
other_draws = dict(template=st.sampled_from(CASES + EXPONENTS),
                   names=st.permutations(NAMES).map(lambda ns: list(ns[:4])),
                   u=st.lists(unit, min_size=4, max_size=4), v=unit,
                   p1=st.lists(params, min_size=4, max_size=4), q1=params,
                   p2=st.lists(params, min_size=4, max_size=4), q2=params,
                   kind=st.sampled_from(["scalar", "hvp", "vector", "vector4"]))


@settings(max_examples=300, deadline=None, database=None)
@given(**other_draws)
def test_every_case_rebinds_to_what_a_fresh_build_gives(
        template: str, names: list[str], u: list[float], v: float, p1: list[float],
        q1: float, p2: list[float], q2: float, kind: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        programs = cache.ProgramCache()
        monkeypatch.setattr(cache, "PROGRAMS", programs)
        text = f"sum({template})" if kind in ("scalar", "hvp") else template
        _, expr, first, x, _ = _setup(text, names, u, v, p1, q1)
        second = _setup(text, names, u, v, p2, q2)[2]
        build = build_of(kind.rstrip("4"), [expr], 4 if kind == "vector4" else None)
        with np.errstate(all="ignore"):
            check(kind.rstrip("4"), build, first, second, x, monkeypatch, programs,
                  rebound=None)
            if same(tuple(first.env.values()), tuple(second.env.values())):
                return
            if template in EXPONENTS:   # built again when Q changed, else rebound
                return
            # no folded exponent in the corpus: every change is a rebind, or a
            # decline for both (a build for each: a fresh build declines too)
            if build(first, x) is not None and build(second, x) is not None:
                assert programs.info().builds == 1, text


ROBERTSON = ["-k1*y1 + k3*y2*y3", "k1*y1 - k3*y2*y3 - k2*y2**2", "k2*y2**2"]


@pytest.mark.parametrize("values", [(0.04, 3e7, 1e4), (0.05, 2e7, 3e4), (0.0, -0.0, np.nan)])
def test_an_ode_right_hand_side_and_its_jacobian_rebind(
        values: tuple[float, float, float], monkeypatch: pytest.MonkeyPatch,
        programs: cache.ProgramCache) -> None:
    names = ["y1", "y2", "y3", "k1", "k2", "k3"]
    exprs = [parse(text + " + 0*t", [*names, "t"]) for text in ROBERTSON]
    variables = [SimpleNamespace(name=n, size=1, scalar=True) for n in names[:3]]
    first = codegen.layout_of(variables, {"k1": 0.04, "k2": 3e7, "k3": 1e4}, time="t")
    second = codegen.layout_of(variables, dict(zip(names[3:], values)), time="t")

    def ode(layout: Any, y: np.ndarray) -> Any:
        return codegen.vector_program([(e, 1) for e in exprs], layout, y, 0.0)
    y = np.array([0.9, 3e-5, 0.1])
    same_values = values == (0.04, 3e7, 1e4)
    check("ode", ode, first, second, y, monkeypatch, programs,
          rebound=None if same_values else True)


# ------------------------------------------------------------------ the traps


def layout(env: dict[str, Any], n: int = 3) -> Any:
    return codegen.layout_of(scalars(["x"], n), env)


KINDS = ["scalar", "hvp", "vector"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("exponents", [(2.0, 3.0), (3.0, 0.5), (0.5, -1.0), (2.0, 0.0),
                                       (0.0, 1.0), (1.0, 2.0), (2, 3), (-1.0, 2.0)])
def test_a_folded_exponent_is_keyed_by_its_value(
        kind: str, exponents: tuple[float, float], monkeypatch: pytest.MonkeyPatch,
        programs: cache.ProgramCache) -> None:
    text = "sum(x**p + x**(p + 1))" if kind != "vector" else "x**p * 2 + x**(p - 1)"
    expr = parse(text, ["x", "p"])
    x = np.array([0.3, 1.2, 2.5])
    check(kind, build_of(kind, [expr]), layout({"p": exponents[0]}),
          layout({"p": exponents[1]}), x, monkeypatch, programs, rebound=False)
    # and the same exponent again, found by content: no build
    before = programs.info().builds
    build_of(kind, [expr])(layout({"p": exponents[1]}), x)
    assert programs.info().builds == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text,first,second", [
    ("sum(x/a + a*x)", {"a": 0.0}, {"a": 2.0}),                       # 0 then nonzero
    ("sum(x/a + a*x)", {"a": 2.0}, {"a": 0.0}),
    ("sum(x/a + a*x)", {"a": 0}, {"a": 3}),                            # integers
    ("sum(x/a + a*x)", {"a": 0.0}, {"a": -0.0}),                       # signed zero
    ("sum(x*(a*2 + 1) + exp(-a)*x*x)", {"a": 1.5}, {"a": -0.25}),     # folded with constants
    ("sum(x*(a*2 + 1) + exp(-a)*x*x)", {"a": np.nan}, {"a": 1.0}),    # NaN
    ("sum(x*(a*2 + 1) + exp(-a)*x*x)", {"a": 1.0}, {"a": np.nan}),
    ("sum((x - c)**2 * (1 + c*c)) + 0.1*sum(x**4)",                    # an array's values
     {"c": np.array([0.5, -1.0, 2.0])}, {"c": np.array([1.5, 0.25, -0.75])}),
    ("sum(x*sum(c[1:]) + c[0]*x**2)", {"c": np.array([1.0, 2.0, 3.0, 4.0])},
     {"c": np.array([-1.0, 0.0, np.inf, 4.0])}),
    ("sum(a*x**2 + b*x)", {"a": np.float64(2.0), "b": 1}, {"a": np.float64(-1.0), "b": 5}),
    ("sum(a*x**2 + b*x)", {"a": np.float32(2.0), "b": True}, {"a": np.float32(3.0), "b": False}),
])
def test_other_values_of_the_same_types_rebind(
        kind: str, text: str, first: dict[str, Any], second: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch, programs: cache.ProgramCache) -> None:
    if kind == "vector":
        text = text[3:]   # the summand: a vector
    expr = parse(text, ["x", *first])
    x = np.array([0.3, -1.2, 2.5])
    # The Jacobian folds 1.0 / a: for the Python int 0 that raises, so the build for
    # a = 0 does not fold, the one for a = 3 does: the template declines, built again.
    fold_fails = kind == "vector" and type(first.get("a")) is int and first["a"] == 0
    with np.errstate(all="ignore"):
        check(kind, build_of(kind, [expr]), layout(first), layout(second), x, monkeypatch,
              programs, rebound=not fold_fails, call_first=kind != "scalar")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("first,second", [
    ({"a": 2}, {"a": 2.0}),                                   # int, then float
    ({"a": 2.0}, {"a": 2}),
    ({"a": 2.0}, {"a": np.array(2.0)}),                       # number, then 0-d array
    ({"a": 2.0}, {"a": np.array([2.0, 3.0, 4.0])}),           # scalar, then array
    ({"a": np.array([2.0, 3.0, 4.0])}, {"a": np.array([[2.0, 3.0, 4.0]])}),   # shape
    ({"a": np.array([2.0, 3.0, 4.0])}, {"a": np.array([2, 3, 4])}),           # dtype
])
def test_another_type_dtype_or_shape_builds_again(
        kind: str, first: dict[str, Any], second: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch, programs: cache.ProgramCache) -> None:
    text = "sum(a*x**2 + x/a)" if kind != "vector" else "a*x**2 + x/a"
    expr = parse(text, ["x", "a"])
    x = np.array([0.3, -1.2, 2.5])
    first_program = build_of(kind, [expr])(layout(first), x)
    assert first_program is not None
    rebound = None if kind == "vector" and np.ndim(second["a"]) == 2 else False
    check(kind, build_of(kind, [expr]), layout(first), layout(second), x, monkeypatch,
          programs, rebound=rebound)


def test_a_fit_rebinds_to_another_data_column(monkeypatch: pytest.MonkeyPatch,
                                              programs: cache.ProgramCache) -> None:
    """The Jacobian of A*exp(-k*t) + c precomputes -t (folded): recomputed for the
    new column, never reused."""
    expr = parse("A*exp(-k*t) + c", ["A", "k", "c", "t"])
    variables = [SimpleNamespace(name=n, size=1, scalar=True) for n in "Akc"]
    first = codegen.layout_of(variables, {"t": np.linspace(0.0, 10.0, 50)})
    second = codegen.layout_of(variables, {"t": np.linspace(-1.0, 12.0, 50)})
    check("vector", build_of("vector", [expr], 50), first, second,
          np.array([2.0, 0.6, 0.2]), monkeypatch, programs)


def test_a_lazy_jacobian_is_not_rebound_but_built(monkeypatch: pytest.MonkeyPatch,
                                                  programs: cache.ProgramCache) -> None:
    n = codegen.programs.EAGER_IDENTITY + 2
    expr = parse("x**2 - a*x", ["x", "a"])
    x = np.linspace(-1.0, 1.0, n)
    check("vector", build_of("vector", [expr]), layout({"a": 1.0}, n),
          layout({"a": 2.0}, n), x, monkeypatch, programs, rebound=False)


def test_rebound_programs_are_shared_by_threads(programs: cache.ProgramCache) -> None:
    expr = parse("sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)", ["x", "a", "b"])
    x = np.linspace(-0.5, 0.9, 10)
    values = [(1.0 + k / 10, 100.0 - k) for k in range(6)]

    def work(ab: tuple[float, float]) -> Any:
        program = codegen.scalar_program(expr, layout({"a": ab[0], "b": ab[1]}, 10), x)
        assert program is not None
        return program.value_and_grad(x)
    expected = []
    for ab in values:
        with pytest.MonkeyPatch.context() as m:
            m.setattr(cache, "PROGRAMS", cache.ProgramCache())
            expected.append(work(ab))
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(work, values * 4))
    assert all(same(g, e) for g, e in zip(got, expected * 4))
    info = programs.info()
    assert info.builds + info.rebinds + info.hits == len(got)
    assert info.rebinds >= 1 and info.builds <= 4


def test_templates_are_bounded_and_found_by_their_pinned_values(
        monkeypatch: pytest.MonkeyPatch) -> None:
    small = cache.ProgramCache(max_programs=2)
    monkeypatch.setattr(cache, "PROGRAMS", small)
    expr = parse("sum(a * x**p)", ["x", "p", "a"])
    x = np.array([0.3, 1.2, 2.5])

    def program(p: float, a: float) -> Any:
        out = codegen.scalar_program(expr, layout({"p": p, "a": a}), x)
        assert out is not None
        return out.value_and_grad(x)
    for p in (2.0, 3.0, 4.0):   # a template each (p is pinned); the first evicted
        program(p, 1.0)
    info = small.info()
    assert (info.builds, info.programs, info.templates) == (3, 2, 2)
    for p in (4.0, 3.0):
        got = program(p, 2.0)
        assert small.info().builds == 3
        assert same(got, fresh_build(lambda: program(p, 2.0), monkeypatch))
    assert small.info().rebinds == 2
    program(2.0, 2.0)   # its template was evicted: built
    assert small.info().builds == 4
    info = small.info()
    assert (info.programs, info.templates, info.held_bytes) == (2, 2, 0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", ["sum(x*(a*2))", "sum(x) + sum(a)*1.5", "sum(x*abs(a))"])
def test_a_python_int_too_large_for_numpy_gives_what_a_build_gives(
        kind: str, text: str, monkeypatch: pytest.MonkeyPatch,
        programs: cache.ProgramCache) -> None:
    """Same type (int), yet numpy computes 2 and 2**70 differently (int64, an object,
    an OverflowError): the template declines where the values' types differ."""
    if kind == "vector":
        text = text[3:]
    expr = parse(text, ["x", "a"])
    x = np.array([0.3, -1.2, 2.5])
    with np.errstate(all="ignore"):
        check(kind, build_of(kind, [expr]), layout({"a": 2}), layout({"a": 2**70}), x,
              monkeypatch, programs, rebound=None)

"""The generated path's safety: ``compile()`` confined to one function of one module,
fed only syntax-tree objects we build, checked before compiling; and the closures
still report positioned errors when generated code raises."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from warmdesk.core import codegen
from warmdesk.core.codegen import emit
from warmdesk.core.expressions import ExpressionError, parse
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers.compiled import ScalarFunction, expression_vector

PACKAGE = Path(codegen.__file__).parent
MODULES = sorted(p.name for p in PACKAGE.glob("*.py"))
DYNAMIC = re.compile(r"(?<![\w.])(eval|exec|compile|__import__|getattr|setattr)\s*\(")


@pytest.mark.parametrize("module", MODULES)
def test_no_dynamic_evaluation_outside_the_one_compile(module: str) -> None:
    source = (PACKAGE / module).read_text(encoding="utf-8")
    tree = ast.parse(source)   # the test reads our source; the package never parses text
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name)
             and node.func.id in ("eval", "exec", "compile", "__import__", "getattr")]
    if module != "emit.py":
        assert not calls and not DYNAMIC.search(source)
    else:
        (only,) = calls
        assert only.func.id == "compile"  # type: ignore[attr-defined]
        owner = [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                 and any(node is only for node in ast.walk(f))]
        assert owner == ["compile_function"]
        assert only.args[0].id == "module"  # type: ignore[attr-defined]  # an ast.Module
        assert '"__builtins__": {}' in source
    assert not re.search(r"\bast\.(parse|unparse|literal_eval)\b", source)
    assert not re.search(r"^\s*(import|from)\s+(builtins|sympy|importlib|pickle)\b", source,
                         re.M)
    assert "PySide" not in source and "Qt" not in source


def _function(body: list[ast.stmt]) -> None:
    emit.compile_function(["_x"], body, {"_exp": np.exp})


@pytest.mark.parametrize("node", [
    ast.Return(ast.Constant("text")),                                       # a string
    ast.Return(ast.Name("x", ast.Load())),                                  # a user name
    ast.Return(ast.Name("_y", ast.Load())),                                 # undefined
    ast.Return(ast.Attribute(ast.Name("_x", ast.Load()), "__class__", ast.Load())),
    ast.Return(ast.Call(ast.Name("_exp", ast.Load()), [], [ast.keyword("out", ast.Constant(1))])),
    ast.Return(ast.Lambda(ast.arguments([], [], None, [], [], None, []), ast.Constant(1))),
])
def test_compile_function_refuses_what_we_never_generate(node: ast.stmt) -> None:
    with pytest.raises(AssertionError):
        _function([node])


def test_generated_globals_have_no_builtins() -> None:
    fn = emit.compile_function(["_x"], [emit.ret(emit.call("_exp", emit.ref("_x", ())))],
                               {"_exp": np.exp})
    assert fn.__globals__["__builtins__"] == {}
    assert fn(0.0) == 1.0


def _problem(objective: str, **params: object) -> object:
    return problem_from_dict({"format": "warmdesk.problem/1", "name": "p", "kind": "minimize",
                              "variables": {"x": {"size": 3, "start": 0.5}},
                              "parameters": params, "objective": objective,
                              "solver": {"method": "BFGS", "options": {}}})


def test_a_raising_generated_function_falls_back_to_the_closures() -> None:
    p = _problem("sum(x**2)")
    fn = ScalarFunction(p, p.objective)  # type: ignore[attr-defined]
    x = np.array([1.0, 2.0, 3.0])

    def boom(*_: object) -> None:
        raise ValueError("generated code failed")
    fn._generated = codegen.ScalarProgram(boom, boom)
    assert fn.value(x) == 14.0
    f, g = fn.value_and_grad(x)
    assert f == 14.0 and np.allclose(g, 2 * x)


def test_errors_keep_their_position() -> None:
    p = _problem("sum(x + c)", c=[1.0, 2.0])
    fn = ScalarFunction(p, p.objective)  # type: ignore[attr-defined]
    with pytest.raises(ExpressionError) as info:
        fn.value(np.ones(3))
    assert info.value.position == 6 and "broadcast" in info.value.message
    vec = expression_vector(p, parse("x + c", ["x", "c"]))  # type: ignore[arg-type]
    with pytest.raises(ExpressionError):
        vec.jacobian(np.ones(3))


def test_solvers_take_the_generated_path() -> None:
    p = _problem("sum(b*(x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)", b=100.0)
    fn = ScalarFunction(p, p.objective)  # type: ignore[attr-defined]
    fn.value_and_grad(np.zeros(3))
    assert isinstance(fn._generated, codegen.ScalarProgram)


def test_layout_never_turns_a_user_name_into_an_identifier() -> None:
    expr = parse("sum(np*env) + x0", ["np", "env", "x0"])
    layout = codegen.layout_of([SimpleNamespace(name="np", size=2, scalar=False),
                                SimpleNamespace(name="x0", size=1, scalar=True)],
                               {"env": np.array([3.0, 4.0])})
    program = codegen.scalar_program(expr, layout, np.ones(3))
    assert program is not None
    value, grad = program.value_and_grad(np.array([1.0, 2.0, 5.0]))
    assert value == 3.0 + 8.0 + 5.0 and list(grad) == [3.0, 4.0, 1.0]
    assert program.value(np.array([1.0, 2.0, 5.0])) == value
    for fn in (program.value, program.value_and_grad):   # compiled at their first call
        assert fn.__code__.co_filename == "<warmdesk-generated>"
        names = set(fn.__code__.co_names) | set(fn.__code__.co_varnames)
        assert not names & {"np", "env", "x0"}
        assert all(name.startswith("_") for name in names)


def test_programs_are_built_once_per_expression_layout_and_values() -> None:
    expr = parse("sum(c*x**2)", ["x", "c"])
    c = np.array([1.0, 2.0])
    variables = [SimpleNamespace(name="x", size=2, scalar=False)]
    first = codegen.scalar_program(expr, codegen.layout_of(variables, {"c": c}), np.ones(2))
    again = codegen.scalar_program(expr, codegen.layout_of(variables, {"c": c}), np.zeros(2))
    assert first is not None and again is first
    c[1] = 5.0   # changed in place: the precomputed parts would be stale
    changed = codegen.scalar_program(expr, codegen.layout_of(variables, {"c": c}), np.ones(2))
    assert changed is not first and changed is not None
    assert changed.value(np.ones(2)) == 6.0
    vector = codegen.vector_program([(expr, None)], codegen.layout_of(variables, {"c": c}),
                                    np.ones(2))
    assert vector is not None and vector is not changed


def test_a_program_is_found_again_for_fresh_views_of_the_same_data() -> None:
    """A data set hands out a new view per column look-up: the same fit solved again
    must not generate its program again; a column changed in place must."""
    data = np.arange(12.0).reshape(4, 3)
    expr = parse("a*c", ["a", "c"])
    layout_for = lambda: codegen.layout_of(  # noqa: E731
        [SimpleNamespace(name="a", size=1, scalar=True)], {"c": data[:, 1]})
    first = codegen.vector_program([(expr, 4)], layout_for(), np.array([2.0]))
    again = codegen.vector_program([(expr, 4)], layout_for(), np.array([2.0]))
    assert first is not None and again is first
    other = codegen.vector_program([(expr, 4)], codegen.layout_of(
        [SimpleNamespace(name="a", size=1, scalar=True)], {"c": data[:, 2]}), np.array([2.0]))
    assert other is not first
    data[0, 1] = 100.0
    changed = codegen.vector_program([(expr, 4)], layout_for(), np.array([2.0]))
    assert changed is not first and changed is not None
    np.testing.assert_array_equal(changed.value(np.array([2.0])), 2.0 * data[:, 1])


def test_a_program_is_found_again_for_the_same_numbers() -> None:
    expr = parse("sum(b*x**2)", ["x", "b"])
    env = {"b": 3.0}
    layout = codegen.layout_of([SimpleNamespace(name="x", size=2, scalar=False)], env)
    first = codegen.scalar_program(expr, layout, np.ones(2))
    assert first is not None and codegen.scalar_program(expr, layout, np.ones(2)) is first

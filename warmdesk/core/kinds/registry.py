"""The kind registry: the one place that names the kinds. Everyone else asks it
(``kind("ode").words.evaluations``) instead of branching on a kind's name.

Adding a kind is one new module in this package (a :class:`~.base.Kind`
subclass and a ``KIND`` instance) plus its line in ``_BUILT_IN``. Tests may
register a kind of their own with :func:`register` (and remove it again with
:func:`unregister`); a solve child (spawned, it starts with the built-in kinds
only) registers the same ones from :func:`added_kinds` with :func:`register_added`.
"""

from __future__ import annotations

import importlib

from .base import Kind
from .fit import KIND as FIT
from .minimize import KIND as MINIMIZE
from .network import KIND as NETWORK
from .ode import KIND as ODE
from .train import KIND as TRAIN

#: The built-in kinds, in the order users are offered them.
_BUILT_IN: tuple[Kind, ...] = (MINIMIZE, FIT, TRAIN, ODE, NETWORK)
_KINDS: dict[str, Kind] = {k.name: k for k in _BUILT_IN}

#: The built-in kinds' names (a spec's ``kind`` is one of these, or a registered one).
KIND_NAMES: tuple[str, ...] = tuple(_KINDS)


def kind(name: str) -> Kind:
    """The kind called ``name``; KeyError names the kinds there are."""
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"no kind {name!r} (kinds: {', '.join(_KINDS)})") from None


def find_kind(name: str) -> Kind | None:
    """The kind called ``name``, or None."""
    return _KINDS.get(name)


def curve_is_time(name: str) -> bool:
    """Whether runs of kind ``name`` record the time reached instead of an
    objective (False for a name that is no kind, e.g. a run not yet known)."""
    found = _KINDS.get(name)
    return found is not None and found.curve_is_time


def kinds() -> tuple[Kind, ...]:
    """Every registered kind, the built-in ones first."""
    return tuple(_KINDS.values())


def register(new: Kind) -> None:
    """Add a kind (a plug-in outside this package, or a test's)."""
    if not new.name or new.name in _KINDS:
        raise ValueError(f"a kind needs a new name (got {new.name!r})")
    _KINDS[new.name] = new


def unregister(name: str) -> None:
    """Remove a kind added by :func:`register` (the built-in ones stay)."""
    if name in {k.name for k in _BUILT_IN}:
        raise ValueError(f"{name!r} is a built-in kind")
    _KINDS.pop(name, None)


#: An added kind's class as (module, qualified name): plain data for a child process.
KindRef = tuple[str, str]


def added_kinds() -> list[KindRef]:
    """The kinds added with :func:`register` whose class a child can import
    (a class made inside a function cannot be; such a kind stays in this process)."""
    built_in = {k.name for k in _BUILT_IN}
    return [(type(k).__module__, type(k).__qualname__) for k in _KINDS.values()
            if k.name not in built_in and "<locals>" not in type(k).__qualname__]


def register_added(refs: list[KindRef]) -> None:
    """In a child process: import and register the parent's added kinds (each
    class made with no arguments; a name known already is left alone). The refs
    come from :func:`added_kinds` in the parent, never from a user."""
    for module, qualname in refs:
        found: object = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
        if not (isinstance(found, type) and issubclass(found, Kind)):
            raise TypeError(f"{module}.{qualname} is not a Kind")
        new = found()
        if new.name not in _KINDS:
            register(new)

"""The op registry: every registered op by name, and the listeners told of each new one.

A `Function` subclass registers at its class statement (engine.py): it is listed here
under its name, and each listener makes of it what its module needs: tensor.py its
Tensor methods, functional.py its `tg.` functions. A user's op may not take a built-in
op's name, method or function: `x.exp()` would change meaning everywhere, and the
built-in's tests would no longer test what runs; nor a `tg.` name that is no op
(`tg.zeros`, `tg.save`: `reserve`). The same user op defined again (a
notebook cell run twice) replaces the first. Each op's `built_in` flag comes from here too.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

__all__ = ["registered_ops", "on_register", "register", "built_in", "reserve"]

_registry: dict[str, Any] = {}
_listeners: list[Callable[..., None]] = []
_reserved: set[str] = set()  # `tg.` names that are no op's function: tg.zeros, tg.nn, ...


def built_in(op: Any) -> Any:
    """`op.built_in`, which the engine sets at its class statement: True for one of the
    package's own ops, a false `_UsersOpFlag` for a user's op."""
    return True if _packages_own(op) else _USERS_OP


def _packages_own(op: Any) -> bool:
    """Whether `op` is one of the package's own ops (defined in one of its modules, under
    whatever name the package was imported: benchmarks/against.py renames an old one)."""
    return op.__module__.startswith(_PACKAGE)


class _UsersOpFlag:
    """A user's op's `built_in`: False, read from the class or from a node, and refused
    where the op sets it on a node: `ctx.built_in = 1` in forward would switch off the
    checks that keep the caller's arrays and `grad` read-only, among them the one that
    refuses it. (A data descriptor, so a node cannot shadow it; the package's ops have a
    plain True and pay nothing for it.)"""

    __slots__ = ()

    def __bool__(self) -> bool:  # (what registry.built_in says of a user's op: False)
        return False

    def __get__(self, node: Any, owner: Any = None) -> bool:
        return False

    def __set__(self, node: Any, value: Any) -> None:
        raise TypeError(f"{type(node).name}: your op set ctx.built_in, which the engine sets "
                        f"on every node; keep your value under another name (ctx.my_built_in)")


_PACKAGE = __name__.rpartition(".")[0] + "."  # "tinygrad_gd."
_USERS_OP = _UsersOpFlag()


def registered_ops() -> dict[str, Any]:
    """Every registered differentiable op by name: built-in ones and users' own."""
    return dict(_registry)


def on_register(listener: Callable[..., None]) -> None:
    """Call `listener(op_class)` for every registered op, now and whenever one registers:
    how an op becomes a Tensor method (tensor.py) and a `tg.` function (functional.py).
    A user's op defined again is `listener(op_class, previous)`: the names only the
    previous definition had go, so they do not call it any more."""
    _listeners.append(listener)
    for op in list(_registry.values()):
        listener(op)


def register(op: Any) -> None:
    """List `op` under its name and tell the listeners; refused, with nothing changed, when
    a user's op claims a built-in op's name, method or function."""
    if not _packages_own(op):
        _refuse_clash(op)
    previous = _registry.get(op.name)
    _registry[op.name] = op
    try:
        for listener in _listeners:
            if previous is None:
                listener(op)
            else:
                listener(op, previous)  # a user's op defined again
    except Exception:
        if previous is None:
            del _registry[op.name]
        else:
            _registry[op.name] = previous
        raise


def reserve(names: Iterable[str]) -> None:
    """Keep `names` from users' ops' `functions=`: `tg.zeros` or `tg.save` taken by an op
    would be shadowed by the package's own (or shadow what the package calls)."""
    _reserved.update(names)


def _claims(op: Any) -> set[str]:
    """The Tensor methods and `tg.` functions an op becomes."""
    return ({f"Tensor.{name}" for name in op.methods + op.reflected}
            | {f"tg.{name}" for name in op.functions})


def _refuse_clash(op: Any) -> None:
    declared = f"class {op.__name__}(Function, ...)"
    for other in _registry.values():
        if not _packages_own(other):
            continue
        if other.name == op.name:
            raise TypeError(f"{declared}: the name '{op.name}' is the built-in op's; give yours "
                            f"another: class {op.__name__}(Function, name='my_{op.name}')")
        taken = sorted(_claims(op) & _claims(other))
        if taken:
            raise TypeError(f"{declared}: it would replace {taken[0]}, the built-in op "
                            f"'{other.name}'; choose another name in methods= or functions=")
    taken = sorted(set(op.functions) & _reserved)
    if taken:
        raise TypeError(f"{declared}: functions={taken[0]!r} would replace tg.{taken[0]}, "
                        f"which is not an op; choose another name in functions=")

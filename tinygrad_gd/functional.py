"""The `tg.` functions under NumPy's (and PyTorch's) names: `tg.exp(x)`, `tg.where(c, x, y)`.

Nothing is written here by hand: each registered op that names `functions=` in its class
statement becomes a function of this module (and of `tinygrad_gd`), calling the op's
`call` as the Tensor method does (`tg.sum(x, axis=0)` is `x.sum(axis=0)`).
"""
from __future__ import annotations

from typing import Any, Callable

from . import ops  # noqa: F401  (the built-in ops register, and so appear here)
from .engine import Function, on_register
from .op_errors import argument_error

__all__: list[str] = []


def _function(op: type[Function], name: str) -> Callable:
    call = op.call

    def function(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except TypeError as err:  # a wrong argument: named with the function, one line
            raise argument_error(err, name) from None
    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = op.__doc__
    function.op = op
    return function


def _add_functions(op: type[Function]) -> None:
    for name in op.functions:
        globals()[name] = _function(op, name)
        if name not in __all__:
            __all__.append(name)


on_register(_add_functions)

"""The `tg.` functions under NumPy's (and PyTorch's) names: `tg.exp(x)`, `tg.where(c, x, y)`.

Nothing is written here by hand: each registered op that names `functions=` in its class
statement becomes a function of this module (and of `tinygrad_gd`), calling the op's
`call` as the Tensor method does (`tg.sum(x, axis=0)` is `x.sum(axis=0)`); PyTorch's
`input=` names the first tensor (`tg.exp(input=x)`).
"""
from __future__ import annotations

from . import ops  # noqa: F401  (the built-in ops register, and so appear here)
from .engine import Function, on_register
from .op_errors import calling

__all__: list[str] = []


def _add_functions(op: type[Function], previous: type[Function] | None = None) -> None:
    for name in previous.functions if previous is not None else ():
        if getattr(globals().get(name), "op", None) is previous:  # a user's op redefined
            del globals()[name]
            __all__.remove(name)
    for name in op.functions:
        function = calling(op, name, input_keyword=True)  # tg.name(x, ...): op.call(x, ...)
        function.__module__ = __name__
        globals()[name] = function
        if name not in __all__:
            __all__.append(name)


on_register(_add_functions)

"""The errors of an op, restated: one line that names the op, its inputs and what to do.

NumPy's message from inside an op's forward ("operands could not be broadcast together
with shapes ...") and Python's complaint about a call's arguments ("Sum.call() got an
unexpected keyword argument") become messages about the op the user called.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence

__all__ = ["op_error", "argument_error", "calling"]

_BINDING = re.compile(r"^[\w.]+\(\) (got an unexpected keyword argument|got multiple values|"
                      r"takes|missing)")


def argument_error(err: TypeError, name: str) -> TypeError:
    """Python's complaint about a call's arguments, restated with the op's method name."""
    text = str(err)
    if not _BINDING.match(text):
        return err
    return TypeError(f"{name}: {text.split('() ', 1)[1]}; its docstring lists its arguments")


def calling(op: Any, name: str) -> Callable:
    """`op.call` under the name a user calls it by (a Tensor method or a `tg.` function):
    a wrong argument is restated as one line naming `name`."""
    call = op.call

    def function(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except TypeError as err:
            raise argument_error(err, name) from None
    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.__doc__
    function.op = op
    return function


def op_error(name: str, inputs: Sequence[Any], err: Exception) -> Exception:
    """NumPy's error from inside an op, restated with the op's name and input shapes."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    shapes = ", ".join(str(t.shape) for t in inputs)
    if text.startswith(name + ":"):
        return err  # the op wrote its own message
    if isinstance(err, TypeError) and _BINDING.match(text):
        return argument_error(err, name)
    if isinstance(err, TypeError):
        dtypes = ", ".join(str(t.dtype) for t in inputs)
        return TypeError(f"{name}: cannot compute it for inputs of dtypes {dtypes} (shapes "
                         f"{shapes}): {text}; convert them with .astype or give float tensors")
    if isinstance(err, MemoryError):
        return MemoryError(f"{name}: not enough memory for the result of inputs of shapes "
                           f"{shapes} ({err}); use smaller batches or check the shapes "
                           f"(an unintended broadcast?)")
    if "broadcast" in text:
        return ValueError(f"{name}: shapes {shapes} do not broadcast together (NumPy's rule: "
                          f"compared from the last axis, each pair of sizes must be equal or "
                          f"one of them 1); reshape or transpose an operand")
    return ValueError(f"{name}: invalid inputs of shapes {shapes}: {text}")

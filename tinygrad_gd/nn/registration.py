"""What `Module`'s registration methods share (PyTorch's names): the rules for a
registered name and for what may be assigned to a parameter's or a sub-module's name;
also the checks of a built-in module's constructor arguments: not given the tensors meant
for its call, and its parameters' dtype (and PyTorch's device, the CPU only); and
`own_constructor`, which makes a bad call of a class that inherits its constructor name
that class (`nn.Conv2d()`: "Conv2d.__init__() missing ...", not its base's name)."""
from __future__ import annotations

import inspect
import types
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..values import check_cpu, default_float, is_device, numeric_dtype

__all__ = ["check_name", "check_assignment", "check_constructor_arguments", "own_constructor"]


def check_name(where: str, module: Any, name: Any, kind: type) -> None:
    """PyTorch's rules for a registered name: a non-empty string without '.', not already
    an attribute, unless one of the same kind (or None) is to be replaced."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: the name must be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{where}: the name must be a non-empty string without '.', got "
                       f"{name!r}")
    if hasattr(module, name) and not (name in vars(module) and isinstance(
            vars(module)[name], (kind, type(None)))):
        raise KeyError(f"{where}: attribute {name!r} already exists in "
                       f"{type(module).__name__}; choose another name")


def _slot(module: Any, name: str, parameter: type, module_type: type) -> str | None:
    """'parameter' or 'module' where `name` holds one, or holds None and is a parameter's
    or a sub-module's name (registered None, as Linear(bias=False)'s bias, or emptied)."""
    own = vars(module)
    held = own.get(name)
    if isinstance(held, (parameter, module_type)):
        return "parameter" if isinstance(held, parameter) else "module"
    if held is not None or name not in own:
        return None
    return own.get("_slots", {}).get(name)


def check_assignment(module: Any, name: str, value: Any, parameter: type,
                     module_type: type) -> None:
    """PyTorch's rules for `module.name = value`: a parameter's name (even while None) takes
    a Parameter or None, a sub-module's a Module, a Parameter or None; else a TypeError."""
    slot = _slot(module, name, parameter, module_type)
    if slot is None or value is None or isinstance(value, parameter):
        return
    where, what = f"{type(module).__name__}.{name}", type(value).__name__
    if slot == "module" and not isinstance(value, module_type):
        raise TypeError(f"{where}: cannot assign a {what} to a child module (nn.Module or None "
                        f"expected); assign a Module, or `del model.{name}` first to keep a "
                        f"{what} under that name")
    if slot == "parameter" and isinstance(vars(module)[name], parameter):
        # PyTorch's: `layer.weight = layer.weight - lr * grad` would silently stop learning
        raise TypeError(
            f"{where}: cannot assign a {what} to a parameter (nn.Parameter or None expected); "
            f"to update it, write in place: `with tg.no_grad(): layer.{name} -= lr * "
            f"layer.{name}.grad`")
    if slot == "parameter":
        raise TypeError(f"{where}: cannot assign a {what} to parameter {name!r}, None now "
                        f"(nn.Parameter or None expected); to learn it, wrap it: "
                        f"`layer.{name} = nn.Parameter(tensor)`")


def check_constructor_arguments(cls: type, args: tuple) -> None:
    """`nn.MSELoss(pred, y)`, `nn.Sigmoid(x)`: tensors given to a built-in module's
    constructor, which takes settings, where the module's call was meant. `cls`'s
    `_positional_tensors` says how many it may take (None: any, as containers)."""
    allowed = cls._positional_tensors  # type: ignore[attr-defined]
    if allowed is None or sum(isinstance(a, Tensor) for a in args) <= allowed:
        return
    name = cls.__name__
    try:
        inputs = ", ".join(list(inspect.signature(cls.forward).parameters)[1:])
        required = any(p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD
                       for p in list(inspect.signature(cls.__init__).parameters.values())[1:])
    except (TypeError, ValueError):
        inputs, required = "input", True
    settings = "..." if required else ""
    raise TypeError(f"nn.{name}: the constructor takes settings, not tensors; build the "
                    f"module first, then call it on the tensors: "
                    f"nn.{name}({settings})({inputs})")


def _float_dtype(dtype: Any, where: str, device: Any = None) -> np.dtype:
    """A layer's parameter dtype (by default float64, or tg.set_default_dtype's; NumPy's,
    its name or PyTorch's, as `numeric_dtype` reads them). PyTorch's `device=` is accepted
    as the CPU (where tinygrad_gd runs), and a device where the dtype goes (PyTorch's
    positional order: `BatchNorm1d(4, 1e-5, 0.1, True, True, "cpu")`) is refused in one
    line."""
    check_cpu(device, where)
    if is_device(dtype):
        raise TypeError(f"{where}: got {str(dtype)!r} where the dtype goes; PyTorch's argument "
                        f"there is device: tinygrad_gd runs on the CPU, so leave it out (or "
                        f"pass dtype= by keyword)")
    resolved = numeric_dtype(default_float() if dtype is None else dtype, where)
    if resolved.kind != "f":
        raise TypeError(f"{where}: parameters must be floating point, got dtype {resolved}; "
                        f"use np.float64 (the default) or np.float32")
    return resolved


def own_constructor(cls: type, left_as_is: Any) -> None:
    """Give `cls` (a built-in module), when it inherits `__init__` (from a class other than
    `left_as_is`), a copy of that `__init__` under its own name: Python names a function's
    class in the errors of a bad call (missing or extra arguments), and the user called
    `cls`, as PyTorch's classes, which define their own, say. (Not a user's class: a copy
    would hide a later patch of the base's `__init__` and a dataclass's own.)"""
    inherited = cls.__init__  # type: ignore[misc]
    code = getattr(inherited, "__code__", None)
    if "__init__" in vars(cls) or inherited is left_as_is or code is None:
        return
    qualname = f"{cls.__qualname__}.__init__"
    if hasattr(code, "co_qualname"):  # (Python 3.11 names it from the code)
        code = code.replace(co_qualname=qualname)
    own = types.FunctionType(code, inherited.__globals__, "__init__", inherited.__defaults__,
                             inherited.__closure__)
    own.__kwdefaults__ = inherited.__kwdefaults__
    own.__dict__.update(vars(inherited))
    own.__doc__, own.__module__ = inherited.__doc__, cls.__module__
    own.__annotations__ = dict(inherited.__annotations__)
    own.__qualname__ = qualname
    cls.__init__ = own  # type: ignore[misc]

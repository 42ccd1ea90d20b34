"""PyTorch's `nn.utils.parametrize`: a module's parameter (or buffer) computed from others.

`register_parametrization(layer, "weight", P())` makes `layer.weight` read `P(original)`,
recomputed on every access (so gradients reach the original through `backward()`); the
original moves to `layer.parametrizations.weight.original` (the same Parameter object, so
an optimizer made before keeps it), with `P.right_inverse`, if P has one, applied to its
values. Several parametrizations registered on one name run in order:
`P2(P1(original))`. A `right_inverse` that returns a tuple gives `original0`,
`original1`, ... (weight norm's g and v), whose first parametrization takes them all.
Assigning `layer.weight = value` writes `right_inverse(value)` into the originals.

As PyTorch's, the module's class is swapped for a subclass made for it,
`Parametrized<Class>`, on which the name is a property; `type_before_parametrizations`
gives the class back and `remove_parametrizations` undoes it all. The state_dict keys are
PyTorch's (`parametrizations.weight.original`, `parametrizations.weight.0._u`), so a
state saved by PyTorch loads. Inside `with cached():` each parametrized tensor is
computed once and reused (one forward of a model that reads a weight several times). A
call of the parametrized module itself reuses its own tensors alike, since tg's layers may
read their weight more than once where PyTorch's read it once (spectral norm's power
iteration then steps once per call, as PyTorch's); a module it calls keeps its own calls.
A tensor read with gradients off (a hook's log under no_grad) is never the one reused
where they are on.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any, Iterator

from ...grad_mode import check_flag, is_grad_enabled, no_grad
from ...inference import refuse_changes, refuse_requires_grad
from ...tensor import Tensor
from ..containers import ModuleDict, ModuleList
from ..module import Buffer, Module, Parameter

__all__ = ["ParametrizationList", "register_parametrization", "remove_parametrizations",
           "is_parametrized", "type_before_parametrizations", "cached",
           "transfer_parametrizations_and_params"]

_cache: dict[tuple[int, str, bool], Tensor] = {}
_cache_depth = [0]  # how many `cached()` blocks are open
# a parametrized module's own tensors during its call, by id(module): {(name, grad): tensor}
_calls: dict[int, dict[tuple[str, bool], Tensor]] = {}


@contextmanager
def cached() -> Iterator[None]:
    """Within the block, each parametrized tensor is computed at its first access and the
    same result is reused (PyTorch's parametrize.cached); the cache is emptied on leaving
    the outermost block. Use it around a forward (and its backward) that reads a
    parametrized weight several times, as a recurrent layer does at each step."""
    _cache_depth[0] += 1
    try:
        yield
    finally:
        _cache_depth[0] -= 1
        if not _cache_depth[0]:
            _cache.clear()


def _register(module: Module, name: str, tensor: Tensor) -> None:
    """`tensor` under `name`: a Parameter as a parameter, anything else as a buffer."""
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _set_values(original: Tensor, value: Tensor, where: str) -> None:
    """Write `value` into `original` (PyTorch's set_: the shape may change), the same object
    kept, so that an optimizer holding it keeps it; counted as an in-place change. As
    PyTorch's set_, an inference original (made inside tg.inference_mode()) refuses outside
    the block, its own values too."""
    refuse_changes(where, (original,), "build the module outside tg.inference_mode(), or do "
                   "this inside it", lambda i, t: "the original tensor")
    if value is not original:
        original.data = value._data


def _check_result(where: str, what: str, result: Any, dtype: Any,
                  shape: tuple[int, ...] | None = None) -> None:
    """A parametrization's (or right_inverse's) result: a Tensor of `dtype` (and `shape`)."""
    if not isinstance(result, Tensor):
        raise ValueError(f"{where}: {what} must return a Tensor, got {type(result).__name__}")
    if result.dtype != dtype:
        raise ValueError(f"{where}: {what} must keep the dtype {dtype}, got {result.dtype}; "
                         f"pass unsafe=True to allow it")
    if shape is not None and result.shape != shape:
        raise ValueError(f"{where}: {what} must keep the shape {shape}, got {result.shape}; "
                         f"pass unsafe=True to allow it")


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its original(s): `original` (or `original0`,
    `original1`, ... when the first right_inverse gives a tuple). Calling it computes the
    parametrized tensor; `right_inverse(value)` sets the originals from a value of it."""

    def __init__(self, modules: Sequence[Module], original: Tensor,
                 unsafe: bool = False) -> None:
        where = "register_parametrization"
        if not modules:
            raise ValueError(f"{where}: give at least one parametrization")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = original.shape, original.dtype
        with no_grad():
            new: Any = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:  # (PyTorch's: then taken as the identity)
                        pass
        self.is_tensor = isinstance(new, Tensor)
        if self.is_tensor:
            _check_result(where, "right_inverse", new, dtype)
            self.ntensors = 1
            _set_values(original, new, where)
            _register(self, "original", original)
        elif isinstance(new, Sequence) and not isinstance(new, str):
            self.ntensors = len(new)
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError(f"{where}: right_inverse returned a sequence whose entry "
                                     f"{i} is a {type(part).__name__}, not a Tensor")
                # (PyTorch's makes a Parameter of the entry itself: weight norm's v, the
                # weight, refused when it is an inference tensor)
                if original.requires_grad:
                    refuse_requires_grad(
                        where, part, f"the value for original{i}",
                        "build the module outside tg.inference_mode(), or do this inside it")
            for i, part in enumerate(new):
                values = part._data.copy()
                _register(self, f"original{i}", Parameter(
                    values, requires_grad=original.requires_grad, dtype=values.dtype)
                    if isinstance(original, Parameter) else Buffer(values, dtype=values.dtype))
        else:
            raise ValueError(f"{where}: right_inverse must return a Tensor or a sequence of "
                             f"Tensors, got {type(new).__name__}")
        if not unsafe:
            _check_result(where, "the parametrization", self(), dtype, shape)

    def _originals(self) -> list[Tensor]:
        if self.is_tensor:
            return [self.original]
        return [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def forward(self) -> Tensor:
        first, *rest = list(self)
        x = first(*self._originals())
        for module in rest:
            x = module(x)
        return x

    def right_inverse(self, value: Any) -> None:
        """Set the originals so that the parametrized tensor is `value`: each
        parametrization's right_inverse, last first, written in place into the originals."""
        where = "parametrization assignment"
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"{where}: parametrization {type(module).__name__} does "
                                       f"not implement right_inverse, so the tensor cannot "
                                       f"be assigned; write into the originals instead")
                value = module.right_inverse(value)
            originals = self._originals()
            if self.is_tensor:
                value = (value,)
            elif not isinstance(value, Sequence) or len(value) != self.ntensors:
                raise ValueError(f"{where}: right_inverse must return a sequence of "
                                 f"{self.ntensors} Tensors, got {type(value).__name__}")
            for original, part in zip(originals, value):
                _check_result(where, "right_inverse", part, original.dtype)
                _set_values(original, part, where)


def _inject_new_class(module: Module) -> None:
    """Swap the module's class for a subclass made for it, where the parametrized names
    become properties (PyTorch's `Parametrized<Class>`)."""
    cls = module.__class__

    def __getstate__(self: Module) -> Any:  # noqa: N807
        raise RuntimeError(f"{type(self).__name__}: a parametrized module is saved through "
                           f"state_dict() only (tg.save(model.state_dict(), path)), not "
                           f"pickled")

    def __deepcopy__(self: Module, memo: dict) -> Module:  # noqa: N807
        if id(self) in memo:
            return memo[id(self)]
        replica = self.__class__.__new__(self.__class__)
        memo[id(self)] = replica
        replica.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return replica

    def __call__(self: Module, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
        # its own parametrized tensors computed once per call, as PyTorch's layers read
        # their weight once (tg's may read it again: a dtype, a check); spectral norm's
        # power iteration would otherwise step at each read
        if id(self) in _calls:  # (a call within its own call: the outer one's tensors)
            return cls.__call__(self, *args, **kwargs)
        _calls[id(self)] = {}
        try:
            return cls.__call__(self, *args, **kwargs)
        finally:
            del _calls[id(self)]

    namespace: dict[str, Any] = {"__getstate__": __getstate__, "__call__": __call__}
    if not hasattr(cls, "__deepcopy__"):  # (__getstate__ above would stop the default one)
        namespace["__deepcopy__"] = __deepcopy__
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module: Module, tensor_name: str) -> None:
    """`module.tensor_name` recomputed from the originals at each read (once inside
    `cached()` or the module's own call); an assignment goes to right_inverse."""

    def get_parametrized(self: Module) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        # (keyed by grad mode too: a result without a graph must not stand in for one)
        if _cache_depth[0]:
            store, key = _cache, (id(self), tensor_name, is_grad_enabled())
        else:
            store, key = _calls.get(id(self)), (tensor_name, is_grad_enabled())
        if store is None:
            return parametrization()
        if key not in store:
            store[key] = parametrization()
        return store[key]

    def set_original(self: Module, value: Any) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module,
                             *, unsafe: bool = False) -> Module:
    """Make `module.tensor_name` (a parameter or buffer) read `parametrization(original)`;
    PyTorch's register_parametrization (see this module's docstring). A second one on the
    same name runs after the first. Unless `unsafe=True`, the parametrization must keep
    the tensor's shape and dtype (checked now, once). Returns the module."""
    where = "register_parametrization"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: module must be an nn.Module, got {type(module).__name__}")
    if not isinstance(parametrization, Module):
        raise TypeError(f"{where}: the parametrization must be an nn.Module (with forward and, "
                        f"optionally, right_inverse), got {type(parametrization).__name__}")
    if not isinstance(tensor_name, str):
        raise TypeError(f"{where}: tensor_name must be a string, got "
                        f"{type(tensor_name).__name__}")
    unsafe = check_flag(where, "unsafe", unsafe)
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            current = getattr(module, tensor_name)
            result = parametrization(current)
            _check_result(where, "the parametrization", result, current.dtype, current.shape)
            if hasattr(parametrization, "right_inverse"):
                back = parametrization.right_inverse(result)
                _check_result(where, "right_inverse", back, current.dtype, current.shape)
        parametrizations = module.parametrizations[tensor_name]
        parametrizations.append(parametrization)
        parametrizations.unsafe |= unsafe
        return module
    original = vars(module).get(tensor_name)
    if not isinstance(original, (Parameter, Buffer)):
        raise ValueError(f"{where}: {type(module).__name__} has no parameter, buffer or "
                         f"parametrized tensor named {tensor_name!r}")
    parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_new_class(module)
        module.parametrizations = ModuleDict()
    _inject_property(module, tensor_name)
    module.parametrizations[tensor_name] = parametrizations
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether `module` has a parametrization (on `tensor_name`, if given)."""
    parametrizations = vars(module).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def type_before_parametrizations(module: Module) -> type:
    """The module's class before `register_parametrization` swapped it (its type if none)."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo the parametrizations on `tensor_name`: it becomes a plain parameter (or buffer)
    again, holding the parametrized values (`leave_parametrized=True`, written into the
    original object, so an optimizer keeps it) or the original's. The module's class is
    restored once no parametrization is left. Returns the module."""
    where = "remove_parametrizations"
    leave_parametrized = check_flag(where, "leave_parametrized", leave_parametrized)
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"{where}: {type(module).__name__} has no parametrization on "
                         f"{tensor_name!r}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                _set_values(original, getattr(module, tensor_name), where)
    elif leave_parametrized:
        value = getattr(module, tensor_name)  # (with grad mode on: who needs a gradient)
        data = value._data.copy()
        original = (Parameter(data, dtype=data.dtype) if value.requires_grad
                    else Buffer(data, dtype=data.dtype))
    else:
        raise ValueError(f"{where}: {tensor_name!r} is parametrized by several tensors "
                         f"({parametrizations.ntensors}), so there is no one original to "
                         f"leave; pass leave_parametrized=True")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Give `to_module` the parametrizations of `from_module` (on `tensor_name`, or on
    every parametrized name), sharing them (PyTorch's: the same parametrization objects),
    and copy the originals' values. Returns `to_module`."""
    where = "transfer_parametrizations_and_params"
    if not is_parametrized(from_module, tensor_name):
        raise ValueError(f"{where}: {type(from_module).__name__} has no parametrization"
                         + ("" if tensor_name is None else f" on {tensor_name!r}"))
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not is_parametrized(to_module, name):
            if not isinstance(vars(to_module).get(name), (Parameter, Buffer)):
                # (PyTorch's: a stand-in parameter of the value's shape to parametrize)
                value = getattr(from_module, name)
                setattr(to_module, name, Parameter(value._data.copy(), dtype=value.dtype))
            for parametrization in source:
                register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        with no_grad():
            for mine, theirs in zip(target._originals(), source._originals()):
                _set_values(mine, theirs, where)
    return to_module

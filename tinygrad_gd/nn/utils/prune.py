"""PyTorch's `nn.utils.prune`: a parameter's entries zeroed through a mask kept in the graph.

`l1_unstructured(module, "weight", amount=0.3)` moves the parameter `weight` to
`weight_orig` (the same Parameter object: an optimizer holding it keeps training it),
registers the buffer `weight_mask` (1 kept, 0 pruned) and, as a forward pre-hook, the
pruning method, which sets `module.weight = weight_mask * weight_orig` (a plain Tensor in
the graph: weight_orig's gradient is 0 where pruned) before each forward; state_dict names
and order are PyTorch's (`bias`, `weight_orig`, `weight_mask`). Pruning a name again
combines the methods in a `PruningContainer`: the new mask is computed on what the old one
left (entries, or channels for a structured method) and multiplied in. `remove(module,
"weight")` makes `weight` a parameter again (weight_orig's object) holding the pruned
values. `amount`: a count (int) or a fraction of what is left (float, Python's round()).

The methods: `Identity`, `RandomUnstructured`, `L1Unstructured`, `RandomStructured`,
`LnStructured` (channels along `dim` by their n-norm), `CustomFromMask`; your own
subclasses `BasePruningMethod` (PRUNING_TYPE, compute_mask(t, default_mask)) and is applied
by `YourMethod.apply(module, name, ...)`. `global_unstructured` ranks the entries of
several parameters together.

As PyTorch's, only a Parameter is pruned (a buffer: TypeError). Differences: the random
methods draw from this package's generator (tg.manual_seed), not torch's draws; the L1 and
Ln masks are torch's, except where entries (channels) tie exactly at the cut: the lowest
index is pruned (kept) first, where torch's CPU topk picks among tied ones by its selection
algorithm (unspecified). A failed prune changes nothing (PyTorch's may have removed the
old hook); `global_unstructured` reads a generator of pairs once.
"""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, Iterator

import numpy as np

from ...creation import make_generator
from ...grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module, Parameter
from ..module_hooks import remove_forward_pre_hook

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask",
           "identity", "random_unstructured", "l1_unstructured", "random_structured",
           "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


def _scores(given: Any, t: Any, where: str, what: str) -> Any:
    """The importance scores a mask is computed from: `given`, of t's shape, or t itself."""
    if given is None:
        return t
    shape = tuple(np.shape(_values(given)))
    if shape != tuple(t.shape):
        raise _ShapeMismatch(f"{where}: importance_scores should have the same shape as "
                             f"{what}, got {shape} vs {tuple(t.shape)}")
    return given


class _ShapeMismatch(ValueError, AssertionError):
    """A mask or importance scores of the wrong shape: PyTorch raises AssertionError."""


def _values(t: Any) -> np.ndarray:
    return np.asarray(t._data if isinstance(t, Tensor) else t)


def _tensor(values: np.ndarray) -> Tensor:
    return Tensor(values, dtype=values.dtype)


class BasePruningMethod(ABC):
    """What every pruning method is (PyTorch's): `PRUNING_TYPE` ("unstructured",
    "structured" with a `dim`, or "global"), `compute_mask(t, default_mask)`, and, once
    applied, `_tensor_name`, the name it prunes; as a forward pre-hook it sets
    module.<name> = <name>_mask * <name>_orig."""

    _tensor_name: str | None = None

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask for `t` (the importance scores), on top of `default_mask` (ones, or the
        mask of earlier pruning): the same shape, 0 where pruned."""

    def apply_mask(self, module: Module) -> Tensor:
        """<name>_mask * <name>_orig of `module`, in the graph."""
        if self._tensor_name is None:
            raise RuntimeError(f"{type(self).__name__}.apply_mask: this method is not applied "
                               f"to a tensor yet; use {type(self).__name__}.apply(module, name)")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Any = None,
              **kwargs: Any) -> "BasePruningMethod":
        """Prune `module.<name>` by `cls(*args, **kwargs)`: the reparametrization (see the
        module's docstring) made, or, if `name` is pruned already, the new method combined
        with the old in a PruningContainer (its default mask: the current mask). The mask
        is computed from `importance_scores` (of the parameter's shape; None: the
        parameter's values). Returns the method (or container) registered as the hook."""
        found = [(key, hook) for key, hook in module._forward_pre_hooks.items()
                 if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        orig = getattr(module, name)
        scores = _scores(importance_scores, orig, f"{cls.__name__}.apply", f"parameter {name} "
                         f"of {type(module).__name__}")
        old = found[0][1] if found else None
        if old is not None:
            if isinstance(old, PruningContainer):
                old.add_pruning_method(method)
            method = old if isinstance(old, PruningContainer) else PruningContainer(old, method)
            default_mask = _tensor(_values(getattr(module, name + "_mask")).copy())
        elif not isinstance(orig, Parameter):
            raise TypeError(f"{cls.__name__}.apply: {type(module).__name__}.{name} is a "
                            f"{type(orig).__name__}, not a Parameter; only parameters are "
                            f"pruned (cannot assign it to parameter '{name}_orig')")
        else:
            default_mask = _tensor(np.ones(orig.shape, orig.dtype))
        try:
            mask = method.compute_mask(scores, default_mask=default_mask)
        except BaseException:
            if isinstance(old, PruningContainer):
                old._pruning_methods = old._pruning_methods[:-1]  # (as it was)
            raise
        for key, _ in found:
            remove_forward_pre_hook(module, key)
        if not found:
            delattr(module, name)
            module.register_parameter(name + "_orig", orig)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """`t` times the mask computed from `importance_scores` (None: t) on top of
        `default_mask` (None: ones), in the graph."""
        scores = _scores(importance_scores, t, f"{type(self).__name__}.prune", "tensor t")
        if default_mask is None:
            default_mask = _tensor(np.ones(t.shape, t.dtype))
        return t * self.compute_mask(scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make <name> a parameter again (the <name>_orig object), holding the pruned values
        <name>_orig * <name>_mask; <name>_orig and <name>_mask are taken away."""
        name = self._tensor_name
        if name is None:
            raise RuntimeError(f"{type(self).__name__}.remove: module {type(module).__name__} "
                               f"has to be pruned before pruning can be removed")
        with no_grad():
            weight = self.apply_mask(module)
        vars(module).pop(name, None)  # (the plain Tensor the hook set)
        orig = getattr(module, name + "_orig")
        orig.data = weight._data
        delattr(module, name + "_orig")
        delattr(module, name + "_mask")
        vars(module).get("_buffer_persistent", {}).pop(name + "_mask", None)
        module.register_parameter(name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied one after another to one tensor (PyTorch's): its mask is
    the last method's, computed on what the earlier masks kept and combined with them."""

    def __init__(self, *args: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if args:
            self._tensor_name = getattr(args[0], "_tensor_name", None)
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        """Add `method` (acting on the same tensor name) as the latest."""
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"PruningContainer.add_pruning_method: {type(method)} is not a "
                            f"BasePruningMethod subclass")
        if self._tensor_name != method._tensor_name:
            raise ValueError(f"PruningContainer.add_pruning_method: can only add pruning "
                             f"methods acting on the parameter named '{self._tensor_name}' "
                             f"to this PruningContainer; found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: Any) -> Any:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The latest method's mask, computed on the part of `t` that `default_mask` left
        (unstructured: the entries where it is 1, as a 1-D tensor; structured: the channels
        along the method's `dim` not all 0; global: all of t), written into a copy of
        `default_mask` there."""
        method = self._pruning_methods[-1]
        values = _values(t)
        mask = _values(default_mask).astype(values.dtype)  # (a copy)
        kind = getattr(method, "PRUNING_TYPE", None)
        if kind == "unstructured":
            part: Any = mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError(f'PruningContainer.compute_mask: {type(method).__name__}, '
                                     f'of PRUNING_TYPE "structured", needs a `dim` attribute')
            dim = method.dim + values.ndim if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"PruningContainer.compute_mask: dim {method.dim} is out of "
                                 f"bounds for a tensor with {values.ndim} dimensions")
            others = tuple(d for d in range(values.ndim) if d != dim)
            part = tuple(mask.sum(axis=others) != 0 if d == dim else slice(None)
                         for d in range(values.ndim))
        elif kind == "global":
            part = (slice(None),) * values.ndim
        else:
            raise ValueError(f"PruningContainer.compute_mask: unrecognized PRUNING_TYPE {kind!r} "
                             f"of {type(method).__name__}; give 'unstructured', 'structured' "
                             f"or 'global'")
        partial = method.compute_mask(_tensor(values[part]), default_mask=_tensor(mask[part]))
        mask[part] = _values(partial)
        return _tensor(mask)


def _check_amount(amount: Any, where: str) -> None:
    """PyTorch's: a non-negative int (a count) or a float in [0, 1] (a fraction)."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"{where}: invalid type for amount: {amount!r}. Must be int or float.")
    if (amount < 0 if isinstance(amount, numbers.Integral)
            else not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"{where}: amount={amount} should either be a float in the range "
                         f"[0, 1] or a non-negative integer")


def _count(amount: Any, size: int, where: str) -> int:
    """How many of `size` units `amount` prunes, checked to be at most `size`."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"{where}: amount={amount} should be smaller than the number of "
                             f"parameters to prune={size}")
        return int(amount)
    return round(amount * size)


def _structured(values: np.ndarray, dim: Any, where: str) -> int:
    """`dim` checked for a channel axis of `values` (at least 2-D), as a non-negative int."""
    if values.ndim <= 1:
        raise ValueError(f"{where}: structured pruning can only be applied to "
                         f"multidimensional tensors. Found tensor of shape {values.shape} "
                         f"with {values.ndim} dims")
    if not -values.ndim <= dim < values.ndim:
        raise IndexError(f"{where}: invalid index {dim} for tensor of size {values.shape}; "
                         f"give a dim from {-values.ndim} to {values.ndim - 1}")
    return dim % values.ndim


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """The indices of the k largest values (NaN first, as torch's topk), lowest index first
    among ties."""
    nan = np.isnan(values)
    return np.lexsort((-np.where(nan, 0, values), ~nan))[:k]


def _channel_mask(channels: np.ndarray, dim: int, default_mask: Tensor) -> Tensor:
    """`channels` (1 kept, 0 pruned) spread along `dim`, times the default mask."""
    default = _values(default_mask)
    return _tensor(np.expand_dims(channels, tuple(d for d in range(default.ndim) if d != dim))
                   * default.astype(channels.dtype))


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrization with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask


class _ByAmount(BasePruningMethod, ABC):
    """An unstructured method pruning `amount` entries (PyTorch's check of it)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        _check_amount(amount, type(self).__name__)
        self.amount = amount


class RandomUnstructured(_ByAmount):
    """Prunes `amount` entries (a count, or a fraction of those left) drawn at random."""

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = int(np.size(_values(t)))
        k = _count(self.amount, size, type(self).__name__)
        mask = _values(default_mask).copy()
        if k:
            rng = make_generator(None, None, type(self).__name__)
            mask.reshape(-1)[rng.choice(size, k, replace=False)] = 0
        return _tensor(mask)


class L1Unstructured(_ByAmount):
    """Prunes the `amount` entries (a count, or a fraction of those left) of smallest
    absolute value (torch's topk rule; NaN last; ties: lowest index first)."""

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        values = _values(t)
        k = _count(self.amount, values.size, type(self).__name__)
        mask = _values(default_mask).copy()
        if k:
            mask.reshape(-1)[np.argsort(np.abs(values).reshape(-1), kind="stable")[:k]] = 0
        return _tensor(mask)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` channels along `dim` (a count, or a fraction of those left) drawn at
    random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, dim: int = -1) -> None:
        _check_amount(amount, type(self).__name__)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        values, where = _values(t), type(self).__name__
        dim = _structured(values, self.dim, where)
        k = _count(self.amount, values.shape[dim], where)
        if not k:
            return default_mask
        rng = make_generator(None, None, where)
        channels = np.ones(values.shape[dim], values.dtype)
        channels[rng.choice(values.shape[dim], k, replace=False)] = 0
        return _channel_mask(channels, dim, default_mask)


def _channel_norms(values: np.ndarray, n: Any, dim: int) -> np.ndarray:
    """torch.norm(t, p=n) over every axis but `dim`: the vector n-norm (int, float, inf,
    -inf, 0: the count of nonzeros; None: 2), 'fro' (2) over up to two axes, 'nuc' over
    exactly two (matrix norms: torch refuses more, as here)."""
    moved = np.moveaxis(values, dim, 0)
    if isinstance(n, str) and (n == "nuc" and values.ndim != 3 or values.ndim > 3):
        most = "exactly" if n == "nuc" else "at most"
        raise RuntimeError(f"LnStructured: the matrix norm n={n!r} needs {most} two axes "
                           f"besides dim, got a tensor of shape {values.shape}")
    if isinstance(n, str) and n == "nuc":
        return np.linalg.norm(moved, "nuc", axis=(1, 2)).astype(values.dtype)
    order = 2 if n is None or isinstance(n, str) else n
    return np.linalg.norm(moved.reshape(moved.shape[0], -1), ord=order, axis=1).astype(
        values.dtype)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` channels along `dim` (a count, or a fraction of those left) of
    smallest n-norm (torch.norm's p: int, float, inf, -inf, 'fro', 'nuc'); ties: the
    channels of lowest index kept first."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, n: Any, dim: int = -1) -> None:
        _check_amount(amount, type(self).__name__)
        if isinstance(n, str) and n not in ("fro", "nuc") or isinstance(n, bool) or not (
                n is None or isinstance(n, (str, numbers.Real))):
            raise RuntimeError(f"LnStructured: order n={n!r} is not supported; give an int, a "
                               f"float, inf, -inf, 'fro' or 'nuc'")
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        values, where = _values(t), type(self).__name__
        dim = _structured(values, self.dim, where)
        k = _count(self.amount, values.shape[dim], where)
        if not k:
            return default_mask
        keep = _largest(_channel_norms(values, self.n, dim), values.shape[dim] - k)
        channels = np.zeros(values.shape[dim], values.dtype)
        channels[keep] = 1
        return _channel_mask(channels, dim, default_mask)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given `mask` is 0 (on top of the default mask)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        default, mask = _values(default_mask), _values(self.mask)
        if default.shape != mask.shape:
            raise _ShapeMismatch(f"CustomFromMask: default_mask shape {default.shape} must "
                                 f"match self.mask shape {mask.shape}")
        return _tensor(default * mask.astype(default.dtype))


def identity(module: Module, name: str) -> Module:
    """The reparametrization of `module.<name>` with a mask of ones. Returns the module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: int | float) -> Module:
    """Prune `amount` entries of `module.<name>` at random (tg.manual_seed's generator).
    Returns the module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: int | float,
                    importance_scores: Any = None) -> Module:
    """Prune the `amount` entries of `module.<name>` of smallest |value| (or importance
    score). Returns the module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: int | float, dim: int) -> Module:
    """Prune `amount` channels of `module.<name>` along `dim` at random. Returns the module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: int | float, n: Any, dim: int,
                  importance_scores: Any = None) -> Module:
    """Prune the `amount` channels of `module.<name>` along `dim` of smallest n-norm.
    Returns the module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Iterable, pruning_method: type,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune the (module, name) pairs of `parameters` together: `pruning_method` (an
    unstructured method's class, e.g. L1Unstructured, with its `kwargs`: amount=...)
    ranks all their entries left as one vector (or `importance_scores[(module, name)]`'s),
    and each gets its part of the mask (by custom_from_mask)."""
    where = "global_unstructured"
    if not isinstance(parameters, Iterable):
        raise TypeError(f"{where}(): parameters is not an Iterable of (module, name) pairs")
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError(f"{where}(): importance_scores must be of type dict, got "
                        f"{type(importance_scores).__name__}")
    pairs = list(parameters)
    if not pairs:
        raise ValueError(f"{where}(): parameters is empty; give (module, name) pairs")
    tensors = [getattr(module, name) for module, name in pairs]
    scores = np.concatenate([_values(importance_scores.get(pair, t)).reshape(-1)
                             for pair, t in zip(pairs, tensors)])
    default = np.concatenate([_values(vars(module).get(name + "_mask", np.ones(t.shape, t.dtype)))
                              .reshape(-1) for (module, name), t in zip(pairs, tensors)])
    method = pruning_method(**kwargs)
    if getattr(method, "PRUNING_TYPE", None) != "unstructured":
        raise TypeError(f'{where}(): only "unstructured" PRUNING_TYPE supported for the '
                        f"`pruning_method`. Found method {pruning_method} of type "
                        f"{getattr(method, 'PRUNING_TYPE', None)}")
    container = PruningContainer()
    container._tensor_name = method._tensor_name = "temp"
    container.add_pruning_method(method)
    mask = _values(container.compute_mask(_tensor(scores), _tensor(default)))
    start = 0
    for (module, name), t in zip(pairs, tensors):
        custom_from_mask(module, name, mask=mask[start:start + t.numel()].reshape(t.shape))
        start += t.numel()


def custom_from_mask(module: Module, name: str, mask: Any) -> Module:
    """Prune `module.<name>` where `mask` (of its shape) is 0. Returns the module."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make the pruning of `module.<name>` permanent: `name` a parameter again holding the
    pruned values, `<name>_orig`, `<name>_mask` and the hook taken away. Returns the module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            remove_forward_pre_hook(module, key)
            return module
    raise ValueError(f"remove: parameter '{name}' of module {type(module).__name__} has to be "
                     f"pruned before pruning can be removed")


def is_pruned(module: Module) -> bool:
    """Whether `module` or a sub-module has a pruning method among its forward pre-hooks."""
    return any(isinstance(hook, BasePruningMethod) for sub in module.modules()
               for hook in sub._forward_pre_hooks.values())

"""`tg.func`'s transforms that differentiate nothing (func.py gathers them with `grad`,
`vjp`, `jacrev`...): `vmap` (a loop over the mapped axis, stacking the results in the
graph), `functional_call` (a module run with other tensors in place of its parameters and
buffers), `stack_module_state`, `replace_all_batch_norm_modules_`, and `functionalize` and
`debug_unwrap`, which have nothing to do here (no compiler, no wrapper tensors); also the
argument checks the transforms share.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Callable, Iterator

import numpy as np

from .functional import stack
from .grad_mode import check_flag, no_grad
from .nn.layers import BatchNorm1d
from .nn.module import Buffer, Module, Parameter
from .ops.arguments import integer
from .random import get_rng_state, set_rng_state
from .tensor import Tensor
from .utils._pytree import prefix_leaves, tree_flatten, tree_unflatten

__all__ = ["vmap", "functional_call", "stack_module_state", "replace_all_batch_norm_modules_",
           "functionalize", "debug_unwrap"]


def _callable(where: str, func: Any) -> None:
    if not callable(func):
        raise TypeError(f"{where}: func must be a function to transform, got "
                        f"{type(func).__name__} {func!r:.40}")


def _chunk_size(where: str, chunk_size: Any) -> None:
    if chunk_size is not None and integer(where, "chunk_size", chunk_size) < 1:
        raise ValueError(f"{where}: chunk_size should be None or an int greater than 0, got "
                         f"{chunk_size}")


def _randomness(where: str, randomness: Any) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"{where}: Only allowed values for randomness are 'error', "
                           f"'different', or 'same'. Got {randomness!r:.40}")


# ------------------------------------------------------------------------ vmap


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """`func` mapped over an axis of its arguments: `vmap(f)(x)` stacks `f(x[i])` for
    each i along `out_dims` (an int for every output, or one per output in the outputs'
    nesting; None: an output that is the same in every call, returned once). `in_dims`:
    the mapped axis of each argument, one int for all, or a tuple with one per argument
    (None: passed whole; nested as the argument is); keyword arguments are passed whole.

    A loop calling `func` once per entry (`x.select(dim, i)`), in the graph: gradients
    flow back through `tg.stack` and the entries taken, and `vmap(grad(f))` gives
    per-sample gradients. `randomness='error'` (PyTorch's default, refusing random ops)
    cannot be told here: it acts as 'different', each call drawing its own numbers;
    'same' puts tg.manual_seed's generator back to one state before each call (draws
    from a generator= of your own are not reset). `chunk_size` is checked and changes
    nothing. An axis of length 0 calls `func` once, on zeros, for the outputs' shapes."""
    where = f"vmap({getattr(func, '__name__', 'func')})"
    _callable("vmap", func)
    _randomness("vmap", randomness)
    _chunk_size("vmap", chunk_size)
    if not isinstance(in_dims, (int, np.integer, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"{where}: expected in_dims to be int or a (potentially nested) "
                         f"tuple matching the structure of inputs, got {type(in_dims).__name__}")

    @functools.wraps(func, updated=())
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not args:
            raise ValueError(f"{where}: got no inputs; give the tensors to map over")
        leaves, spec = tree_flatten(args)
        dims = prefix_leaves(where, "in_dims", in_dims, args, "inputs")
        size = _mapped_size(where, leaves, dims)
        state = get_rng_state() if randomness == "same" else None
        results = []
        for i in range(size):
            if state is not None:
                set_rng_state(state)
            sample = [x if d is None else x.select(d, i) for x, d in zip(leaves, dims)]
            results.append(func(*tree_unflatten(sample, spec), **kwargs))
        if not size:  # (one call on zeros tells the outputs' nesting and shapes)
            zeros = [x if d is None else Tensor.from_op(np.zeros(np.delete(x.shape, d),
                                                                  x.dtype), None)
                     for x, d in zip(leaves, dims)]  # (from_op: an integer dtype kept)
            with no_grad(), np.errstate(all="ignore"):
                results = [func(*tree_unflatten(zeros, spec), **kwargs)]
        return _stacked(where, results, out_dims, size)

    return wrapper


def _mapped_size(where: str, leaves: list, dims: list) -> int:
    """The length of the mapped axis, the same in every mapped tensor (checked)."""
    sizes = []
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(x, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(x).__name__}. We cannot vmap over non-Tensor arguments, "
                             f"please use None as the respective in_dim")
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"{where}: Got in_dim={d} for an input of shape {x.shape}, so "
                             f"expected in_dim to satisfy {-x.ndim} <= in_dim < {x.ndim}")
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError(f"{where}: Expected at least one Tensor to vmap over; give one an "
                         f"int in_dim")
    if len(set(sizes)) > 1:
        raise ValueError(f"{where}: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _stacked(where: str, results: list, out_dims: Any, size: int) -> Any:
    """The calls' outputs stacked leaf by leaf along their out_dim (None: the one value)."""
    flat = [tree_flatten(r) for r in results]
    spec = flat[0][1]
    if any(s != spec for _, s in flat):
        raise ValueError(f"{where}: func returned outputs of different nesting in different "
                         f"calls; return the same structure for every entry")
    dims = prefix_leaves(where, "out_dims", out_dims, results[0], "outputs")
    stacked = []
    for k, d in enumerate(dims):
        column = [leaves[k] for leaves, _ in flat]
        first = column[0]
        if d is None:
            if any(not _same(v, first) for v in column):
                raise ValueError(f"{where}: output {k} differs between entries, so it cannot "
                                 f"be returned unmapped (out_dims None); give it an int out_dim")
            stacked.append(first)
            continue
        if not isinstance(first, Tensor):
            raise ValueError(f"{where}: func must only return Tensors, got type "
                             f"{type(first).__name__}. Did you mean to set out_dims= to "
                             f"None for output {k}?")
        if not -first.ndim - 1 <= d <= first.ndim:
            raise IndexError(f"{where}: out_dim {d} is out of range for outputs of shape "
                             f"{first.shape}: expected {-first.ndim - 1} <= out_dim <= "
                             f"{first.ndim}")
        if any(not isinstance(v, Tensor) or v.shape != first.shape for v in column):
            shapes = sorted({str(getattr(v, "shape", type(v).__name__)) for v in column})
            raise ValueError(f"{where}: output {k} has different shapes in different calls "
                             f"({', '.join(shapes)}); every entry's must be one shape to "
                             f"stack them")
        stacked.append(stack(column, dim=d) if size else Tensor.from_op(np.zeros(
            np.insert(first.shape, d % (first.ndim + 1), 0).astype(int), first.dtype), None))
    return tree_unflatten(stacked, spec)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a is b or a.shape == b.shape and bool(np.array_equal(a._data, b._data))
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # (arrays: no single truth value)
        return a is b


# --------------------------------------------------------------------- modules


def functional_call(module: Module, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """`module(*args, **kwargs)` with the tensors of `parameter_and_buffer_dicts` (a dict
    from dotted names, `"0.weight"`, to Tensors, or a list or tuple of such dicts, no name
    twice) in place of the module's parameters and buffers of those names, put back
    afterwards, also when the call raises. Gradients flow to the tensors given (take
    `tg.func.grad` with respect to a dict of them); a buffer the call updates in place
    (BatchNorm's running mean) is the tensor given. `tie_weights`: a tensor shared under
    two names (tied weights) given under one is used under both (two different values:
    a ValueError). `strict`: every parameter and buffer must be given, and no other name;
    otherwise a name the module lacks is set as an attribute for the call. `args`: a
    tuple, or one argument."""
    where = "functional_call"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: module must be an nn.Module, got {type(module).__name__}")
    tie_weights = check_flag(where, "tie_weights", tie_weights)
    strict = check_flag(where, "strict", strict)
    values = _merged(parameter_and_buffer_dicts)
    slots = {name: (holder, key, tensor) for name, holder, key, tensor in _slots(module)}
    if tie_weights:
        _tie(values, slots)
    missing = [n for n in slots if n not in values]
    unexpected = [n for n in values if n not in slots]
    if strict and (missing or unexpected):
        listed = "".join(f" {what} key(s): {', '.join(map(repr, names))}." for what, names in
                         (("Missing", missing), ("Unexpected", unexpected)) if names)
        raise RuntimeError(f"{where}: Error(s) in reparametrizing for "
                           f"{type(module).__name__}:{listed}")
    places = [slots[n][:2] if n in slots else _place(module, n) for n in values]
    originals = [_swap(holder, key, value) for (holder, key), value in zip(places,
                                                                            values.values())]
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    try:
        return module(*args, **({} if kwargs is None else kwargs))
    finally:
        for (holder, key), original in reversed(list(zip(places, originals))):
            _swap(holder, key, original)


_ABSENT = object()  # (an attribute the module did not have: deleted again afterwards)


def _swap(holder: Any, key: Any, value: Any) -> Any:
    """Put `value` at `key` of `holder` (a module's attribute, past its assignment checks,
    or a list's entry) and return what was there."""
    if isinstance(holder, list):
        holder[key], old = value, holder[key]
        return old
    own = vars(holder)
    old = own.get(key, _ABSENT)
    if value is _ABSENT:
        own.pop(key, None)
    else:
        own[key] = value
    return old


def _merged(dicts: Any) -> dict:
    """The dicts as one, each name once, names strings and values Tensors (checked)."""
    if isinstance(dicts, Mapping):
        dicts = [dicts]
    elif not (isinstance(dicts, (list, tuple)) and all(isinstance(d, Mapping) for d in dicts)):
        raise ValueError(f"functional_call: Expected parameter_and_buffer_dicts to be a dict, "
                         f"or a list/tuple of dicts, but got {type(dicts).__name__}")
    merged: dict = {}
    repeated = []
    for d in dicts:
        for name, value in d.items():
            if name in merged:
                repeated.append(name)
            merged[name] = value
    if repeated:
        raise ValueError(f"functional_call: {repeated} appeared in multiple dictionaries; "
                         f"behavior of functional call is ambiguous")
    for name, value in merged.items():
        if not isinstance(name, str) or not name or "" in name.split("."):
            raise TypeError(f"functional_call: names must be dotted attribute names such as "
                            f"'0.weight', got {name!r:.40}")
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: the value for {name!r} must be a Tensor, got "
                            f"{type(value).__name__} {value!r:.40}")
    return merged


def _slots(owner: Module, prefix: str = "", above: tuple = ()) -> Iterator[tuple]:
    """Every parameter and buffer as (dotted name, holder, key, tensor), a shared one
    under each of its names (an attribute, or an entry of a list attribute)."""
    above += (id(owner),)  # (a module holding one above it: not entered again)
    for attr, value in list(vars(owner).items()):
        items = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
        for i, item in items:
            name = prefix + attr + ("" if i is None else f".{i}")
            if isinstance(item, Module) and id(item) not in above:
                yield from _slots(item, name + ".", above)
            elif isinstance(item, (Parameter, Buffer)):
                yield name, owner if i is None else value, attr if i is None else i, item


def _tie(values: dict, slots: dict) -> None:
    """A tensor shared under several names, given under some: given under all (PyTorch's
    tie_weights=True); two different tensors given for one: a ValueError."""
    names_of: dict = {}
    for name, (_, _, tensor) in slots.items():
        names_of.setdefault(id(tensor), []).append(name)
    for names in names_of.values():
        given = [n for n in names if n in values]
        if len(names) < 2 or not given:
            continue
        if len({id(values[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {given}, which "
                             f"are tied. Consider using tie_weights=False")
        for n in names:
            values.setdefault(n, values[given[0]])


def _place(module: Module, name: str) -> tuple[Module, str]:
    """Where a name the module has no parameter or buffer under goes: its submodule's
    attribute (the submodules must exist, and the name must not be one of theirs)."""
    *path, attr = name.split(".")
    holder = module
    for k, part in enumerate(path):
        holder = vars(holder).get(part) if isinstance(holder, Module) else None
        if not isinstance(holder, Module):
            raise AttributeError(f"functional_call: {type(module).__name__} has no submodule "
                                 f"{'.'.join(path[:k + 1])!r} (key {name!r}); check the name "
                                 f"against dict(module.named_parameters())")
    if isinstance(vars(holder).get(attr), Module):
        raise TypeError(f"functional_call: {name!r} is a submodule of {type(module).__name__}, "
                        f"not a parameter or buffer; give its tensors as {name}.weight, ...")
    return holder, attr


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """The parameters and buffers of several models of one class, each stacked along a
    new first axis: `(params, buffers)`, dicts by name, as `functional_call` takes them
    (with `vmap` over that axis: an ensemble in one call). The stacked parameters are new
    leaves requiring gradients; the buffers need none."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not all(isinstance(m, Module) for m in models):
        raise TypeError(f"stack_module_state: models must be nn.Modules, got "
                        f"{sorted({type(m).__name__ for m in models})}")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    return tuple(_stacked_state(models, kind) for kind in ("named_parameters", "named_buffers"))


def _stacked_state(models: list, kind: str) -> dict:
    named = [dict(getattr(m, kind)()) for m in models]
    if any(list(n) != list(named[0]) for n in named):
        raise RuntimeError(f"stack_module_state: the models' {kind[6:]} differ in names; "
                           f"give models built alike")
    stacked = {name: stack([n[name] for n in named]).detach() for name in named[0]}
    if kind == "named_parameters":
        stacked = {name: t.requires_grad_(True) for name, t in stacked.items()}
    return stacked


def replace_all_batch_norm_modules_(root: Module) -> Module:
    """Every BatchNorm in `root` made to normalise with its batch's statistics, keeping
    none (running_mean, running_var and num_batches_tracked None, track_running_stats
    False), in place, as PyTorch's (for vmap over a batch norm); returns `root`."""
    if not isinstance(root, Module):
        raise TypeError(f"replace_all_batch_norm_modules_: root must be an nn.Module, got "
                        f"{type(root).__name__}")
    for module in root.modules():
        if isinstance(module, BatchNorm1d):  # (BatchNorm2d and 3d, lazy ones too)
            module.running_mean = module.running_var = module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def functionalize(func: Callable, *, remove: str = "mutations") -> Callable:
    """`func` itself, in a wrapper: PyTorch's removes in-place ops and views for its
    compilers, with the same results; here there is nothing for which they would differ."""
    _callable("functionalize", func)
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument "
                           f"for remove={remove!r:.40}. Valid options are: 'mutations', "
                           f"'mutations_and_views'")

    @functools.wraps(func, updated=())
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def debug_unwrap(tensor: Tensor, *, recurse: bool = True) -> Tensor:
    """`tensor` itself: PyTorch's unwraps its transforms' batched or gradient-tracking
    wrapper tensors; these transforms make none."""
    check_flag("debug_unwrap", "recurse", recurse)
    return tensor

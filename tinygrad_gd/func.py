"""PyTorch's `torch.func` as `tg.func`: function transforms built on `tg.autograd.grad`.

`grad(f)(x)` is the gradient of a scalar function, `vjp` and `jvp` its products with a
vector, `jacrev` and `jacfwd` the Jacobian, `vmap` maps a function over an axis, and
`functional_call(model, params, args)` runs a model with other tensors in place of its
parameters and buffers (to take `grad` with respect to them). Arguments may be nested
tuples, lists and dicts of Tensors (PyTorch's pytrees), as PyTorch's.

How each is computed here:

- `grad`, `grad_and_value`, `vjp`: `func` runs on copies of the differentiated inputs
  (`x.clone()` when x needs a gradient, so the value stays in the caller's graph; else a
  fresh leaf), then one backward pass (`tg.autograd.grad`, `retain_graph=True`).
- `jacrev`, `jacfwd`, `jvp`, `linearize`: the Jacobian by reverse mode, one backward pass
  per output entry (`is_grads_batched=True`); `jacfwd` gives the same numbers as
  `jacrev`, its blocks in the output's dtype (PyTorch's forward mode), and `jvp` is J . v
  from that Jacobian, exact; it composes with the other transforms, where the tangents
  of `tg.autograd.forward_ad` (J . v in one forward pass) carry no graph.
- `vmap` (func_more.py, with `functional_call` and `stack_module_state`): a loop over the
  mapped axis, calling `func` once per entry and stacking the results with `tg.stack`, in
  the graph, so gradients flow through it. `randomness='error'` cannot be told here (a
  random op inside is not seen): it acts as 'different'.

Transforms compose: where a derivative depends on tensors that need gradients (the
copies an outer transform made, the caller's inputs, tensors `func` closes over), `grad`,
`vjp` and the Jacobians compute it with `create_graph=True` (higher_order.py), so it is in
the graph and `grad(grad(f))`, `jacrev(grad(f))`, `jvp(grad(f), ...)` and `hessian(f)`
(`jacfwd(jacrev(f))`) give second derivatives. Where an op on the way has no second
derivative, the pass goes on, as PyTorch's (higher_order.py): its gradient's values come
above a node whose backward refuses in one line (never a silent zero), so a derivative
through it is refused and each hook runs once; `jvp`'s and `linearize`'s products are
values above such a node too. Their values
(`grad_and_value`'s, `vjp`'s) are in the graph.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from . import autograd
from .engine import is_grad_enabled, toposort
from .func_more import (_callable, _chunk_size, _randomness, debug_unwrap, functional_call,
                        functionalize, replace_all_batch_norm_modules_, stack_module_state,
                        vmap)
from .functional import stack
from .grad_mode import check_flag, enable_grad
from .higher_order import refusing
from .nn.layer_arguments import _named
from .tensor import Tensor
from .utils._pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "linearize", "functional_call", "stack_module_state", "functionalize",
           "replace_all_batch_norm_modules_", "debug_unwrap"]


# ------------------------------------------------------------------- the core


def _argnums(where: str, argnums: Any, count: int) -> tuple[bool, tuple[int, ...]]:
    """Whether `argnums` is one int, and the positions it names (checked, as PyTorch's)."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    if not single and not (isinstance(argnums, tuple) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in argnums)):
        raise RuntimeError(f"{where}: argnums must be int or Tuple[int, ...], got: "
                           f"{type(argnums).__name__} {argnums!r:.40}")
    positions = (argnums,) if single else argnums
    if not positions:
        raise RuntimeError(f"{where}: argnums must be non-empty; name an argument, argnums=0")
    for a in positions:
        if not -count <= a < count:
            raise RuntimeError(f"{where}: Got argnum={a}, but only {count} positional inputs; "
                               f"pass that argument or choose another argnums")
    normal = tuple(int(a) % count for a in positions)
    if len(set(normal)) != len(normal):
        raise RuntimeError(f"{where}: argnums elements must be unique, got {argnums}")
    return single, normal


def _differentiated(where: str, tensors: list) -> list[Tensor]:
    """Copies of the tensors to differentiate with respect to: `x.clone()` when x needs a
    gradient (the result stays in the caller's graph), else a fresh leaf sharing x's data."""
    copies = []
    for t in tensors:
        if not isinstance(t, Tensor):
            raise ValueError(f"{where}: a value to differentiate with respect to must be a "
                             f"Tensor, got {type(t).__name__} {t!r:.40}; give a Tensor, or "
                             f"leave that argument out of argnums")
        if t.dtype.kind != "f":
            raise RuntimeError(f"{where}: only floating-point Tensors can be differentiated, "
                               f"got dtype {t.dtype} (shape {t.shape}); convert it: x.double()")
        if t.requires_grad and is_grad_enabled():
            copies.append(t.clone())
        else:  # (named: a diagram of a value kept in the graph would call it a parameter)
            copies.append(_named(t.detach().requires_grad_(True), t.name or f"input of {where}"))
    return copies


def _call(where: str, func: Callable, args: tuple, kwargs: dict, has_aux: bool) -> tuple:
    """`func(*args, **kwargs)`, recorded whatever the grad mode (PyTorch's transforms
    ignore an outer no_grad): its output, and its aux when `has_aux`."""
    with enable_grad():
        result = func(*args, **kwargs)
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(f"{where}: output of function f should be a tuple: (output, aux) "
                           f"if has_aux is True, got {type(result).__name__}")
    return result


def _output_leaves(where: str, output: Any) -> tuple[list[Tensor], Any]:
    leaves, spec = tree_flatten(output)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"{where}: expected f to return only Tensors (or tuples, "
                               f"lists and dicts of them), got {type(leaf).__name__} "
                               f"{leaf!r:.40}")
    return leaves, spec


_NO_GRAPH = ("differentiating its result again (grad(grad(f)), jacrev(grad(f)), a backward "
             "through a gradient) is not supported here: jvp's and linearize's products are "
             "computed from values, without a graph; use the derivative's values alone "
             "(.detach()), or take finite differences of them")


def _with_graph(outer: list) -> bool:
    """Whether a derivative is computed with a graph (create_graph): where it depends on
    tensors needing gradients (`outer`, grad mode on), so that it can be differentiated
    again. An op on the way without a second derivative does not stop the pass (one pass,
    each hook once); only a derivative through that op is refused (higher_order.py)."""
    return bool(outer) and is_grad_enabled()


def _outer(outputs: list, copies: list) -> list[Tensor]:
    """The leaves needing gradients that the outputs depend on, other than fresh copies:
    the caller's inputs or tensors `func` closes over (none under no_grad)."""
    if not is_grad_enabled():
        return []
    own = set(copies)
    recorded = [out for out in outputs if out.requires_grad]
    return [t for t in toposort(*recorded) if t._ctx is None and t not in own] if recorded \
        else []


def _derivatives(where: str, arrays: list, outer: list) -> list:
    """Arrays as the tensors a transform returns: plain, or above a node that refuses a
    derivative through them (higher_order's `refusing`) where the outputs depend on
    tensors needing gradients (and grad mode is on); tensors with a graph (computed with
    create_graph=True) as they are."""
    if arrays and isinstance(arrays[0], Tensor):
        return arrays
    if outer and is_grad_enabled():
        return [refusing(a, outer, f"{where}: {_NO_GRAPH}", f"values of {where}")
                for a in arrays]
    return [Tensor.from_op(a, None) for a in arrays]


def _values(tree: Any, outer: list) -> Any:
    """func's outputs as returned: kept in the graph where it reaches the caller's tensors
    (`outer`), else cut from the copies' graph."""
    if outer:
        return tree
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([x.detach() if isinstance(x, Tensor) else x for x in leaves], spec)


def _vjp(outputs: list, seeds: list, copies: list, retain_graph: bool = True,
         create_graph: bool = False) -> list:
    """sum_i seeds_i . d outputs_i / d copies: one array per copy (zeros where unused);
    with `create_graph`, tensors with a graph."""
    used = [(out, seed) for out, seed in zip(outputs, seeds) if out.requires_grad]
    used = used if copies else []  # (no primals: nothing to differentiate)
    grads = autograd.grad([o for o, _ in used], copies, [s for _, s in used],
                          retain_graph=retain_graph or create_graph, create_graph=create_graph,
                          allow_unused=True) if used else [None] * len(copies)
    zeros = [np.zeros(c.shape, c.dtype) for c in copies]
    if create_graph:
        return [Tensor.from_op(z, None) if g is None else g for z, g in zip(zeros, grads)]
    return [z if g is None else g._data for z, g in zip(zeros, grads)]


def _jacobian(outputs: list, copies: list, create_graph: bool = False) -> list[list]:
    """J[i][j] = d outputs_i / d copies_j, of shape out.shape + copy.shape: one backward
    pass per entry of the outputs (their one-hot gradients, `is_grads_batched`; with
    `create_graph`, one `grad` each, the rows stacked by the op stack: tensors)."""
    used = [out for out in outputs if out.requires_grad and out.numel()]
    total = sum(out.numel() for out in used)
    columns = [None] * len(copies)
    if total and copies:
        eye, start, seeds = np.eye(total), 0, []
        for out in used:
            seeds.append(eye[:, start:start + out.numel()].reshape((total,) + out.shape))
            start += out.numel()
        seeds = [s.astype(o.dtype) for s, o in zip(seeds, used)]
        if create_graph:
            rows = [autograd.grad(used, copies, [s[k] for s in seeds], retain_graph=True,
                                  create_graph=True, materialize_grads=True)
                    for k in range(total)]
            columns = [stack([row[j] for row in rows]) for j in range(len(copies))]
        else:
            columns = autograd.grad(used, copies, seeds, retain_graph=True, allow_unused=True,
                                    is_grads_batched=True)
    blocks, start, counted = [], 0, {id(out) for out in used}
    for out in outputs:
        n = out.numel() if id(out) in counted else 0
        row = []
        for c, g in zip(copies, columns):
            if not n or g is None:
                zeros = np.zeros(out.shape + c.shape, c.dtype)
                row.append(Tensor.from_op(zeros, None) if create_graph else zeros)
            else:
                part = g[start:start + n] if create_graph else g._data[start:start + n]
                row.append(part.reshape(out.shape + c.shape))
        blocks.append(row)
        start += n
    return blocks


class _Evaluation:
    """func run on copies of the arguments at `positions`: the copies, the nesting of
    those arguments, the outputs (flat) and their nesting, aux, and `outer`."""

    def __init__(self, where: str, func: Callable, args: tuple, kwargs: dict,
                 positions: tuple, has_aux: bool) -> None:
        args, self.specs, self.copies = list(args), [], []
        for p in positions:
            leaves, spec = tree_flatten(args[p])
            copies = _differentiated(where, leaves)
            args[p] = tree_unflatten(copies, spec)
            self.specs.append((spec, len(copies)))
            self.copies += copies
        self.output, self.aux = _call(where, func, tuple(args), kwargs, has_aux)
        self.outputs, self.out_spec = _output_leaves(where, self.output)
        self.outer = _outer(self.outputs, self.copies)

    def per_argument(self, tensors: list, single: bool) -> Any:
        """Flat results, one per copy, nested as the arguments were (a tuple of them
        unless one int argnums)."""
        it, nested = iter(tensors), []
        for spec, count in self.specs:
            nested.append(tree_unflatten([next(it) for _ in range(count)], spec))
        return nested[0] if single else tuple(nested)

    def returned(self) -> tuple[Any, Any]:
        """(output, aux) as the caller gets them."""
        return _values(self.output, self.outer), _values(self.aux, self.outer)


# ------------------------------------------------------------- the transforms


def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning `(gradient, value)` of scalar `func`, or
    `(gradient, (value, aux))` with `has_aux` (func then returns `(value, aux)`). The
    gradient is with respect to argument `argnums` (a pytree of Tensors: the gradient has
    its nesting), or a tuple of them for a tuple of argnums; zeros where unused."""
    return _grad_and_value("grad_and_value(f)(*args)", func, argnums, has_aux)


def _grad_and_value(where: str, func: Callable, argnums: Any, has_aux: Any) -> Callable:
    _callable(where, func)
    has_aux = check_flag(where, "has_aux", has_aux)

    @functools.wraps(func, updated=())
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        single, positions = _argnums(where, argnums, len(args))
        run = _Evaluation(where, func, args, kwargs, positions, has_aux)
        if not isinstance(run.output, Tensor):
            raise RuntimeError(f"{where}: Expected f(*args) to return a Tensor, got "
                               f"{type(run.output).__name__}")
        if run.output.ndim != 0:
            raise RuntimeError(f"{where}: Expected f(*args) to return a scalar Tensor, got "
                               f"tensor with {run.output.ndim} dims (shape "
                               f"{run.output.shape}). Maybe you wanted to use the vjp or "
                               f"jacrev APIs instead?")
        arrays = _vjp([run.output], [np.ones((), run.output.dtype)], run.copies, True,
                      _with_graph(run.outer))
        gradient = run.per_argument(_derivatives(where, arrays, run.outer), single)
        value, aux = run.returned()
        return (gradient, (value, aux)) if has_aux else (gradient, value)

    return wrapper


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of scalar `func` with respect to argument
    `argnums` (see `grad_and_value`), and `aux` beside it with `has_aux`."""
    inner = _grad_and_value("grad(f)(*args)", func, argnums, has_aux)

    @functools.wraps(func, updated=())  # (its name, not a module's attributes)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = inner(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """`(func(*primals), vjp_fn)`, and aux with `has_aux`: `vjp_fn(cotangents)` (one per
    output, in the outputs' nesting and shapes) returns v . J, a tuple with one entry per
    primal, in its nesting. Each call is one backward pass over the graph kept."""
    where = "vjp(f, *primals)"
    _callable(where, func)
    run = _Evaluation(where, func, primals, {}, tuple(range(len(primals))),
                      check_flag(where, "has_aux", has_aux))

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: Any = None) -> tuple:
        leaves, spec = tree_flatten(cotangents)
        if spec != run.out_spec:
            raise RuntimeError(f"vjp_fn: Expected the cotangents to have the nesting of the "
                               f"outputs of f ({len(run.outputs)} Tensor(s), "
                               f"{type(run.output).__name__}), got {type(cotangents).__name__}")
        seeds = _arrays_like("vjp_fn", "cotangent", "output", leaves, run.outputs)
        if create_graph:  # (asked for: a graph whatever the inputs, refused where impossible)
            arrays = _vjp(run.outputs, seeds, run.copies, True, True)
        else:
            arrays = _vjp(run.outputs, seeds, run.copies, bool(retain_graph),
                          _with_graph(run.outer))
        return run.per_argument(_derivatives("vjp_fn", arrays, run.outer), False)

    output, aux = run.returned()
    return (output, vjp_fn, aux) if has_aux else (output, vjp_fn)


def _arrays_like(where: str, what: str, whose: str, leaves: list, like: list) -> list:
    """Each of `leaves` (the cotangents, tangents) as an array in the dtype of its entry of
    `like` (the outputs, primals), where it is a Tensor of that entry's shape."""
    arrays = []
    for k, (v, reference) in enumerate(zip(leaves, like)):
        if not isinstance(v, Tensor) or v.shape != reference.shape:
            raise RuntimeError(f"{where}: {what} {k} must be a Tensor of its {whose}'s shape "
                               f"{reference.shape}, got {getattr(v, 'shape', type(v).__name__)}")
        arrays.append(v._data.astype(reference.dtype, copy=False))
    return arrays


def _tangent_arrays(where: str, primals: Any, tangents: Any, run: _Evaluation) -> list:
    leaves, spec = tree_flatten(tangents)
    if not isinstance(tangents, tuple) or spec != tree_flatten(primals)[1]:
        raise RuntimeError(f"{where}: Expected primals and tangents to have the same nesting "
                           f"(a tuple of {len(primals)}, one tangent per primal), got "
                           f"{type(tangents).__name__} {tangents!r:.40}")
    return _arrays_like(where, "tangent", "primal", leaves, run.copies)


def _jvp_arrays(blocks: list, vectors: list, outputs: list) -> list[np.ndarray]:
    """J . v for each output, in its shape and dtype."""
    return [np.asarray(sum((np.tensordot(b, v, axes=v.ndim) for b, v in zip(row, vectors)),
                           np.zeros(out.shape)), dtype=out.dtype)
            for row, out in zip(blocks, outputs)]


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """`(func(*primals), J . tangents)`, and aux with `has_aux`: `primals` and `tangents`
    tuples of the same nesting; the product has the outputs' nesting. Exact, from the
    Jacobian (reverse mode, one backward pass per output entry)."""
    where = "jvp(f, primals, tangents)"
    _callable(where, func)
    strict = check_flag(where, "strict", strict)
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{where}: Expected primals to be a tuple. E.g. it should be valid "
                           f"to call f(*primals); got {type(primals).__name__}")
    run = _Evaluation(where, func, primals, {}, tuple(range(len(primals))),
                      check_flag(where, "has_aux", has_aux))
    vectors = _tangent_arrays(where, primals, tangents, run)
    if strict and not any(out.requires_grad for out in run.outputs):
        raise RuntimeError(f"{where}: The output of f is independent of the inputs. This is "
                           f"not allowed with strict=True")
    arrays = _jvp_arrays(_jacobian(run.outputs, run.copies), vectors, run.outputs)
    product = tree_unflatten(_derivatives(where, arrays, run.outer), run.out_spec)
    output, aux = run.returned()
    return (output, product, aux) if has_aux else (output, product)


def linearize(func: Callable, *primals: Any) -> tuple[Any, Callable]:
    """`(func(*primals), jvp_fn)`: `jvp_fn(*tangents)` is J . tangents at the primals, from
    the Jacobian computed once here."""
    where = "linearize(f, *primals)"
    _callable(where, func)
    run = _Evaluation(where, func, primals, {}, tuple(range(len(primals))), False)
    blocks = _jacobian(run.outputs, run.copies)

    def jvp_fn(*tangents: Any) -> Any:
        vectors = _tangent_arrays("linearize's jvp_fn", primals, tangents, run)
        return tree_unflatten(_derivatives(
            "linearize", _jvp_arrays(blocks, vectors, run.outputs), run.outer), run.out_spec)

    return run.returned()[0], jvp_fn


def _jacobian_transform(where: str, func: Callable, argnums: Any, has_aux: bool,
                        forward: bool) -> Callable:
    _callable(where, func)
    has_aux = check_flag(where, "has_aux", has_aux)

    @functools.wraps(func, updated=())
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        single, positions = _argnums(where, argnums, len(args))
        run = _Evaluation(where, func, args, kwargs, positions, has_aux)
        blocks = _jacobian(run.outputs, run.copies, _with_graph(run.outer))
        rows = [run.per_argument(_derivatives(where, [_in_dtype(b, out.dtype) if forward
                                                      else b for b in row], run.outer), single)
                for row, out in zip(blocks, run.outputs)]
        jacobian = tree_unflatten(rows, run.out_spec)
        return (jacobian, run.returned()[1]) if has_aux else jacobian

    return wrapper


def _in_dtype(block: Any, dtype: Any) -> Any:
    """A Jacobian block (array or tensor) in `dtype` (jacfwd's: its output's)."""
    if isinstance(block, Tensor):
        return block if block.dtype == dtype else block.to(dtype)
    return block.astype(dtype, copy=False)


def jacrev(func: Callable, argnums: Any = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """A function returning the Jacobian of `func` with respect to argument `argnums`:
    for each output (in the outputs' nesting) the blocks `out.shape + arg.shape` (in the
    argument's nesting; a tuple over a tuple of argnums), in the argument's dtype; (J, aux)
    with `has_aux`. Reverse mode, one backward pass per output entry (`chunk_size`: those
    passes' grouping in PyTorch, checked, no effect here)."""
    _chunk_size("jacrev", chunk_size)
    return _jacobian_transform("jacrev(f)(*args)", func, argnums, has_aux, False)


def jacfwd(func: Callable, argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """`jacrev`'s Jacobian (the same values, computed the same way: reverse mode, one
    backward pass per output entry, not PyTorch's forward mode), each block in its
    output's dtype, as PyTorch's. `randomness`: checked; func runs once."""
    _randomness("jacfwd", randomness)
    return _jacobian_transform("jacfwd(f)(*args)", func, argnums, has_aux, True)


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """A function returning the Hessian of scalar `func` with respect to argument
    `argnums`: `jacfwd(jacrev(func, argnums), argnums)`, as PyTorch's (blocks of shape
    `arg.shape + arg.shape`; the inner Jacobian computed with create_graph=True)."""
    return jacfwd(jacrev(func, argnums), argnums)


"""PyTorch's `torch.autograd.functional`, as `tg.autograd.functional`: the Jacobian of a
function of tensors (`jacobian`) and its products with a vector, `vjp` (v . J) and `jvp`
(J . v); the Hessian of a scalar function (`hessian`) and its products with a vector
(`hvp`, `vhp`).

Each calls `func` on fresh leaves made from the inputs (`x.detach()`, requiring a
gradient: the caller's tensors, their graph and their `.grad` are left alone) and
differentiates its outputs with the engine's one backward pass (`engine.backward`):

- `vjp`: one pass, from the scalar sum over the outputs of `(out * v).sum()`, whose
  gradient with respect to each input is v . J;
- `jacobian`: one pass per entry of each output, started from that entry's one-hot
  gradient: row k of J is the gradient of `out.flatten()[k]`;
- `jvp`: exact, as J . v from that Jacobian; with `create_graph=True`, PyTorch's "double
  backward trick" (the gradient with respect to u of (u . J) . v);
- `hessian`: the Jacobian of the gradient, computed with `create_graph=True`
  (higher_order.py); `hvp` and `vhp`: one more pass, from the gradient . v.

A `retain_grad()` tensor the function makes gets in `.grad` what PyTorch's passes add
there (retained_passes.py): each pass's gradient, as PyTorch's retain_grad hook, which
runs in any pass; zeros where PyTorch's pass starts from zeros (the double backward
trick's first pass: jvp's, hvp's second); nothing from a batched pass (vectorize=True,
strategy="forward-mode": PyTorch refuses retain_grad() under its vmap, or runs no reverse
pass there).

Each pass stops once every input it reaches has its gradient: a graph the function
closes over (a model's) is neither run past that point nor freed. The results are plain
tensors without a graph (with `create_graph=True`: with theirs, to differentiate
again, as are the function's outputs, and the products with respect to a `v` that
requires a gradient too); where an output does not depend on an input its block is
zeros, or, with `strict=True`, PyTorch's error (with `create_graph=True` too where a
result has no graph: its derivative would be zero). Each runs under `enable_grad()`, as
PyTorch's: under the caller's `no_grad()`, a result of `create_graph=True` still has its
graph back to the inputs and `v`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from . import hooks
from .backward_passes import next_stamp
from .errors import GradientDtypeError
from .grad_mode import check_flag, enable_grad
from .functional import stack
from .retained_passes import keep_retained
from .tensor import Tensor

__all__ = ["jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"]

_OUTPUTS = "outputs of the user-provided function"


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of `func` at `inputs` (a Tensor or a tuple of them): for one input and
    one output a tensor of shape `output.shape + input.shape`; a tuple over the inputs or
    the outputs where `inputs` or `func`'s result is a tuple; a tuple (outputs) of tuples
    (inputs) where both are. A block has its input's dtype (`strategy="forward-mode"`:
    its output's, as PyTorch's). Computed by reverse mode, one backward pass per output
    entry, whatever `vectorize` and `strategy` say (they choose PyTorch's algorithm, not
    the numbers); the combinations PyTorch refuses are refused alike. With
    create_graph=True, vectorize=True gives an input's blocks as PyTorch's batched pass
    does, slices of one tensor: where one has a graph, all do (an output independent of
    that input: zeros whose derivative is zero)."""
    create_graph = check_flag("jacobian", "create_graph", create_graph)
    strict = check_flag("jacobian", "strict", strict)
    vectorize = check_flag("jacobian", "vectorize", vectorize)
    _check_strategy("jacobian", "strategy", strategy, create_graph, strict, vectorize)
    with enable_grad():  # (a composed op, under the caller's no_grad() too, as PyTorch's)
        tupled_in, inputs = _leaves("jacobian", inputs, create_graph)
        tupled_out, outputs = _call("jacobian", func, inputs)
        if strict:
            _check_outputs_require_grad("jacobian", outputs)
        fill = None if vectorize or strategy == "forward-mode" else "add"  # (see above)
        blocks = _jacobian_blocks(outputs, inputs, create_graph, vectorize, fill)
        return _nested("jacobian", outputs, inputs, blocks, tupled_out, tupled_in, strict,
                       strategy == "forward-mode")


def _nested(where: str, outputs: tuple, inputs: tuple, blocks: list, tupled_out: bool,
            tupled_in: bool, strict: bool, output_dtype: bool = False) -> Any:
    """The Jacobian's blocks as PyTorch nests them: a tuple (outputs) of tuples (inputs),
    each level only where it was a tuple; zeros where an output does not depend on an
    input (strict=True: PyTorch's error)."""
    result = []
    for i, (out, row) in enumerate(zip(outputs, blocks)):
        tensors = []
        for j, (x, block) in enumerate(zip(inputs, row)):
            if block is None and strict:
                raise RuntimeError(f"{where}: Output {i} of the user-provided function is "
                                   f"independent of input {j}. This is not allowed in strict "
                                   f"mode; use strict=False for a block of zeros")
            if strict and isinstance(block, Tensor) and not block.requires_grad:
                raise _without_graph(where, f"jacobian of output {i}", "input", j)
            dtype = out.dtype if output_dtype else x.dtype
            if block is None:
                block = np.zeros(out.shape + x.shape, dtype)
            tensors.append(block.to(dtype) if isinstance(block, Tensor) and block.dtype != dtype
                           else block if isinstance(block, Tensor)
                           else _result(block.astype(dtype, copy=False)))
        result.append(tuple(tensors) if tupled_in else tensors[0])
    return tuple(result) if tupled_out else result[0]


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`(func(*inputs), v . J)`: the outputs (with their graph only with create_graph) and
    the vector-Jacobian product, one per input, in its shape and dtype. `v` (a Tensor, or
    a tuple of them, one per output, each of its output's shape) may be left out when
    `func` returns one one-element tensor. One backward pass, from sum_i (out_i * v_i).sum()."""
    create_graph = check_flag("vjp", "create_graph", create_graph)
    strict = check_flag("vjp", "strict", strict)
    with enable_grad():  # (a composed op, under the caller's no_grad() too)
        tupled_in, inputs = _leaves("vjp", inputs, create_graph)
        tupled_out, outputs = _call("vjp", func, inputs)
        if strict:
            _check_outputs_require_grad("vjp", outputs)
        vectors = _vectors("vjp", v, outputs, tupled_out, "the user-provided function returns "
                           "a single Tensor with a single element", create_graph)
        total = _dot(outputs, vectors)
    products = _gradients_of_total("vjp", total, inputs, create_graph, strict)
    _check_depend_on_inputs("vjp", "jacobian", products, strict and create_graph)
    return _outputs(outputs, tupled_out, create_graph), \
        tuple(products) if tupled_in else products[0]


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`(func(*inputs), J . v)`: the outputs (with their graph only with create_graph) and
    the Jacobian-vector product, one per output, in its shape and dtype. `v` (a Tensor, or
    a tuple of them, one per input, each of its input's shape) may be left out when there
    is one one-element input. Exact: J . v from the Jacobian (one backward pass per output
    entry; PyTorch's double backward trick needs second derivatives)."""
    create_graph = check_flag("jvp", "create_graph", create_graph)
    strict = check_flag("jvp", "strict", strict)
    with enable_grad():  # (as vjp's)
        tupled_in, inputs = _leaves("jvp", inputs, create_graph)
        vectors = _vectors("jvp", v, inputs, tupled_in, "the input to the user-provided "
                           "function is a single Tensor with a single element", create_graph)
        tupled_out, outputs = _call("jvp", func, inputs)
        if strict:
            _check_outputs_require_grad("jvp", outputs)
        if create_graph:
            products = _double_backward(outputs, inputs, vectors, strict)
            _check_depend_on_inputs("jvp", "jacobian", products, strict, "output")
            return _outputs(outputs, tupled_out, True), \
                tuple(products) if tupled_out else products[0]
        blocks = _jacobian_blocks(outputs, inputs, fill="zeros")  # (PyTorch's pass from 0)
        for j in range(len(inputs) if strict else 0):
            if all(row[j] is None for row in blocks):
                _independent_of_input("jvp", j)
        products = []
        for i, (out, row) in enumerate(zip(outputs, blocks)):
            if strict and all(block is None for block in row):
                raise RuntimeError(f"jvp: output {i} depends on no input (PyTorch: the gradient "
                                   f"with respect to the input is independent of entry {i} in the "
                                   f"grad_outputs). This is not allowed in strict mode")
            product = np.zeros(out.shape, out.dtype)
            for x, vector, block in zip(inputs, vectors, row):
                if block is not None:
                    product = product + np.tensordot(block, vector.astype(x.dtype, copy=False),
                                                     axes=x.ndim)
            products.append(_result(np.asarray(product, dtype=out.dtype)))  # (0-d: a scalar)
        return _outputs(outputs, tupled_out), tuple(products) if tupled_out else products[0]


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of `func` (which returns a one-element tensor) at `inputs`: for one input
    a tensor of shape `input.shape + input.shape`, for a tuple of them a tuple of tuples,
    block (i, j) the derivative of the gradient of input i with respect to input j. The
    Jacobian of the gradient, itself computed with create_graph=True (higher_order.py);
    `vectorize` and `outer_jacobian_strategy` choose PyTorch's algorithm, not the numbers,
    and the combinations PyTorch 2.13 refuses are refused alike: 'forward-mode' without
    vectorize=True, with strict=True or with create_graph=True, strict with vectorize."""
    create_graph = check_flag("hessian", "create_graph", create_graph)
    strict = check_flag("hessian", "strict", strict)
    vectorize = check_flag("hessian", "vectorize", vectorize)
    _check_strategy("hessian", "outer_jacobian_strategy", outer_jacobian_strategy,
                    create_graph, strict, vectorize)
    with enable_grad():  # (as vjp's)
        tupled_in, inputs = _leaves("hessian", inputs, create_graph)
        out = _scalar_output("hessian", func, inputs, strict)
        grads = _gradients(out, [np.ones(out.shape, out.dtype)], inputs, True)[0]
        gradients = tuple(g if g is not None else Tensor.from_op(np.zeros(x.shape, x.dtype), None)
                          for x, g in zip(inputs, grads))
        blocks = _jacobian_blocks(gradients, inputs, create_graph, vectorize,
                                  None if vectorize else "add")
        return _nested("hessian", gradients, inputs, blocks, tupled_in, tupled_in, strict)


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`(func(*inputs), v . H)`: the output (with its graph only with create_graph) and the
    vector-Hessian product, one per input, in its shape. `func` returns a one-element
    tensor; `v` has the inputs' shapes (may be left out for one one-element input). Two
    passes: the gradient
    with create_graph=True (higher_order.py), then the gradient of (gradient . v)."""
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`(func(*inputs), H . v)`, as `vhp` (the Hessian of a function with continuous second
    derivatives is symmetric, so H . v = v . H: the same two passes, as PyTorch's
    double backward)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


# -------------------------------------------------------------------- helpers


def _scalar_output(where: str, func: Any, inputs: tuple, strict: bool) -> Tensor:
    """`func(*inputs)`, checked to be one tensor of one element (PyTorch's errors)."""
    tupled, outputs = _call(where, func, inputs)
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"{where}: the function given should return a single Tensor with a "
                           f"single element, got {len(outputs)} tensor(s) of shape(s) "
                           f"{[tuple(out.shape) for out in outputs]}")
    if strict:
        _check_outputs_require_grad(where, outputs)
    return outputs[0]


def _hessian_product(where: str, func: Any, inputs: Any, v: Any, create_graph: bool,
                     strict: bool) -> tuple[Any, Any]:
    create_graph = check_flag(where, "create_graph", create_graph)
    strict = check_flag(where, "strict", strict)
    with enable_grad():  # (as vjp's)
        tupled_in, inputs = _leaves(where, inputs, create_graph)
        vectors = _vectors(where, v, inputs, tupled_in, "the input to the user-provided "
                           "function is a single Tensor with a single element", create_graph)
        out = _scalar_output(where, func, inputs, strict)
        grads = _gradients(out, [np.ones(out.shape, out.dtype)], inputs, True)[0] \
            if out.requires_grad else [None] * len(inputs)
        total = _dot(grads, vectors)
        results = _gradients_of_total(where, total, inputs, create_graph, strict,
                                      "zeros" if where == "hvp" else "add")  # (PyTorch's u = 0)
        _check_depend_on_inputs(where, "hessian", results, strict and create_graph)
        return out if create_graph else out.detach(), \
            tuple(results) if tupled_in else results[0]


def _gradients_of_total(where: str, total: Tensor | None, inputs: tuple, create_graph: bool,
                        strict: bool, fill: str = "add") -> list:
    """The gradient of the scalar `total` with respect to each input, as results (zeros
    where it does not depend on one: strict=True, PyTorch's error); one pass (`fill`: as
    `_gradients`')."""
    grads = [None] * len(inputs) if total is None else _gradients(
        total, [np.ones((), total.dtype)], inputs, create_graph, fill)[0]
    results = []
    for j, (x, grad) in enumerate(zip(inputs, grads)):
        if grad is None and strict:
            _independent_of_input(where, j)
        results.append(grad if isinstance(grad, Tensor) else _result(
            np.zeros_like(x._data) if grad is None else np.array(grad)))
    return results


def _dot(tensors: Any, vectors: Any) -> Tensor | None:
    """sum_i (tensors_i * vectors_i).sum() over the tensors that require a gradient (one
    that does not adds nothing to any input's gradient); None where none does."""
    total = None
    for tensor, vector in zip(tensors, vectors):
        if isinstance(tensor, Tensor) and tensor.requires_grad:
            term = (tensor * vector).sum()  # (an array vector: a constant of tensor's dtype)
            total = term if total is None else total + term
    return total


def _independent_of_input(where: str, j: int) -> None:
    """strict=True: PyTorch's refusal of a result that input j does not reach."""
    raise RuntimeError(f"{where}: The output of the user-provided function is independent of "
                       f"input {j}. This is not allowed in strict mode; use strict=False for "
                       f"zeros")


def _double_backward(outputs: tuple, inputs: tuple, vectors: list, strict: bool) -> list:
    """J . v for each output, with a graph: u . J computed with create_graph=True for a
    u that requires a gradient, then the gradient of (u . J) . v with respect to u
    (strict=True: an input no output depends on is PyTorch's error)."""
    us = [Tensor(np.zeros(out.shape, out.dtype), requires_grad=True) for out in outputs]
    total = _dot(outputs, us)
    grads = [None] * len(inputs) if total is None else _gradients(
        total, [np.ones((), total.dtype)], inputs, True)[0]
    for j, grad in enumerate(grads if strict else ()):
        if grad is None:
            _independent_of_input("jvp", j)
    total = _dot(grads, vectors)
    found = [None] * len(us) if total is None else _gradients(
        total, [np.ones((), total.dtype)], us, True)[0]
    return [product if product is not None else
            Tensor.from_op(np.zeros(out.shape, out.dtype), None)
            for out, product in zip(outputs, found)]


def _check_strategy(where: str, name: str, strategy: Any, create_graph: bool, strict: bool,
                    vectorize: bool) -> None:
    """The combinations of the Jacobian's options PyTorch refuses, refused in its order
    (`hessian` passes its own to its outer Jacobian, as PyTorch's)."""
    if not isinstance(strategy, str) or strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f"{where}: {name} must be 'forward-mode' or 'reverse-mode', got "
                         f"{strategy!r:.40}")
    if strategy == "forward-mode" and create_graph:
        raise NotImplementedError(f"{where}: create_graph=True and {name}='forward-mode' are "
                                  f"not supported together, as in PyTorch; set "
                                  f"create_graph=False or {name}='reverse-mode'")
    if strict and strategy == "forward-mode":
        raise RuntimeError(f"{where}: strict=True and {name}='forward-mode' are not supported "
                           f"together, as in PyTorch; set strict=False or "
                           f"{name}='reverse-mode'")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(f"{where}: {name}='forward-mode' is only implemented for "
                                  f"vectorize=True, as in PyTorch")
    if strict and vectorize:
        raise RuntimeError(f"{where}: strict=True and vectorize=True are not supported "
                           f"together, as in PyTorch; set strict=False or vectorize=False")


def _check_depend_on_inputs(where: str, what: str, results: list, check: bool,
                            each: str = "input") -> None:
    """strict=True with create_graph=True: each result must have a graph (depend on the
    inputs or on v), else PyTorch's error (its derivative would be silently zero)."""
    for j, result in enumerate(results if check else ()):
        if not result.requires_grad:
            raise _without_graph(where, what, each, j)


def _without_graph(where: str, what: str, each: str, j: int) -> RuntimeError:
    """PyTorch's refusal of a result without a graph under strict=True and create_graph=True
    (`what`: the jacobian, the hessian, the jacobian of output i)."""
    return RuntimeError(f"{where}: The {what} of the user-provided function is independent "
                        f"of {each} {j}. This is not allowed in strict mode when "
                        f"create_graph=True; use strict=False")


def _as_tuple(where: str, name: str, value: Any) -> tuple[bool, tuple]:
    """Whether `value` was a tuple, and it as a tuple of Tensors (a list is refused, as
    PyTorch refuses it: it would make the result's nesting ambiguous)."""
    tupled = isinstance(value, tuple)
    items = value if tupled else (value,)
    for k, item in enumerate(items):
        if not isinstance(item, Tensor):
            which = f"the value at index {k}" if tupled else f"the given {name}"
            raise TypeError(f"{where}: the {name} must be either a Tensor or a tuple of "
                            f"Tensors, but {which} has type {type(item).__name__}")
    return tupled, items


def _leaves(where: str, inputs: Any, create_graph: bool = False) -> tuple[bool, tuple]:
    """Whether `inputs` was a tuple, and a fresh leaf requiring a gradient for each input
    (its values shared, as `detach()`'s): what `func` is called on. With `create_graph`,
    an input that requires a gradient is a copy in its graph (`clone()`), so the results
    can be differentiated with respect to it, as PyTorch's."""
    tupled, inputs = _as_tuple(where, "inputs", inputs)
    for j, x in enumerate(inputs):
        if x.dtype.kind != "f":
            raise GradientDtypeError(f"{where}: input {j} has dtype {x.dtype}, and only "
                                     f"floating-point tensors can require gradients; "
                                     f"convert it first (x.double())")
    return tupled, tuple(x.clone() if create_graph and x.requires_grad
                         else x.detach().requires_grad_(True) for x in inputs)


def _call(where: str, func: Any, leaves: tuple) -> tuple[bool, tuple]:
    """`func(*leaves)` (recorded: its callers run under enable_grad()): whether it returned
    a tuple, and its outputs as a tuple of Tensors."""
    if not callable(func):
        raise TypeError(f"{where}: func must be a function of the inputs, got "
                        f"{type(func).__name__} {func!r:.40}")
    return _as_tuple(where, _OUTPUTS, func(*leaves))


def _check_outputs_require_grad(where: str, outputs: tuple) -> None:
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"{where}: Output {i} of the user-provided function does not "
                               f"require gradients. The outputs must be computed in a "
                               f"differentiable manner from the input when running in "
                               f"strict mode")


def _vectors(where: str, v: Any, like: tuple, tupled: bool, when_none: str,
             create_graph: bool = False) -> list:
    """`v` as arrays, one per tensor of `like`, each of its shape (None: 1, allowed when
    `like` is one one-element tensor); with `create_graph`, a `v` that requires a gradient
    as itself, so the products are differentiable with respect to it, as PyTorch's."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{where}: The vector v can only be None if {when_none}; give "
                               f"v of shape {like[0].shape if len(like) == 1 else 'each'}")
        return [np.ones(like[0].shape, like[0].dtype)]
    _, v = _as_tuple(where, "v", v)
    if len(v) != len(like):
        if tupled:
            raise RuntimeError(f"{where}: v is a tuple of invalid length: should be "
                               f"{len(like)} but got {len(v)}")
        raise RuntimeError(f"{where}: The given v should contain a single Tensor, got {len(v)}")
    for k, (vector, tensor) in enumerate(zip(v, like)):
        if vector.shape != tensor.shape:
            raise RuntimeError(f"{where}: {f'Entry {k} in ' if tupled else ''}v has invalid "
                               f"size: should be {tensor.shape} but got {vector.shape}")
    return [vector if create_graph and vector.requires_grad else vector._data for vector in v]


def _jacobian_blocks(outputs: tuple, inputs: tuple, create_graph: bool = False,
                     vectorize: bool = False, fill: str | None = "add") -> list:
    """J[i][j], the Jacobian of output i with respect to input j, of shape
    `out.shape + input.shape`: one pass per entry of output i; None where output i does
    not depend on input j (an output without entries: zeros). With `create_graph`, each
    block is a tensor with a graph (its rows stacked by the op stack); with `vectorize`
    too, each column j one stack of every output's rows, as PyTorch's batched pass
    gives it (`_sliced_column`). `fill`: as `_gradients`'."""
    result, every_rows = [], []
    for out in outputs:
        rows = _gradients(out, _one_hots(out), inputs, create_graph, fill) \
            if out.requires_grad else []
        every_rows.append(rows)
        blocks = []
        for j, x in enumerate(inputs):
            column = [row[j] for row in rows]
            if out.requires_grad and out.numel() == 0:
                blocks.append(np.zeros(out.shape + x.shape, x.dtype))
            elif all(g is None for g in column):
                blocks.append(None)
            elif create_graph:
                blocks.append(stack([Tensor.from_op(np.zeros_like(x._data), None) if g is None
                                     else g for g in column]).reshape(out.shape + x.shape))
            else:
                blocks.append(np.stack([np.zeros_like(x._data) if g is None else g
                                        for g in column]).reshape(out.shape + x.shape))
        result.append(blocks)
    if create_graph and vectorize:
        for j, x in enumerate(inputs):
            if any(isinstance(blocks[j], Tensor) and blocks[j].requires_grad
                   for blocks in result):
                _sliced_column(result, j, x, outputs, every_rows)
    return result


def _sliced_column(blocks: list, j: int, x: Tensor, outputs: tuple, every_rows: list) -> None:
    """Column j of the Jacobian's `blocks` (some with a graph) remade as slices of one
    stack of every output's rows, PyTorch's vectorized result: a block of an output that
    does not depend on input j is zeros with a graph too (whose derivative is zero)."""
    zeros = Tensor.from_op(np.zeros_like(x._data), None)
    rows = [row[j] if rows and row[j] is not None else zeros
            for out, rows in zip(outputs, every_rows)
            for row in (rows or [None] * out.numel())]
    stacked, start = stack(rows), 0
    for i, out in enumerate(outputs):
        blocks[i][j] = stacked[start:start + out.numel()].reshape(out.shape + x.shape)
        start += out.numel()


def _one_hots(out: Tensor) -> Iterable[np.ndarray]:
    """The gradients that start the passes of a Jacobian's rows: 1 at one entry of `out`."""
    for k in range(out.numel()):
        seed = np.zeros(out.numel(), out.dtype)
        seed[k] = 1
        yield seed.reshape(out.shape)


def _gradients(output: Tensor, seeds: Iterable[np.ndarray], inputs: tuple,
               create_graph: bool = False, fill: str | None = "add") -> list[list]:
    """For each seed, the gradient with respect to each input of `output`, from one
    engine pass started from that seed (None for an input it does not depend on): PyTorch's
    passes (`hooks.gradients_to`: the nodes and hooks on a path to an input only); graphs
    are kept (`retain_graph`): the function may have used one of the caller's. With
    `create_graph`, the gradients are tensors with a graph (higher_order.py). `fill`: what
    each pass adds into a retain_grad() tensor's `.grad` ("add": its gradient, "zeros",
    None: nothing; `keep_retained`)."""
    leading = hooks.leading_to(output, inputs)  # (the same for every seed)
    results = []
    for seed in seeds:
        stamp = next_stamp()  # (where a retained .grad this pass fills starts)
        start = Tensor.from_op(seed, None) if create_graph else seed
        found = hooks.gradients_to(output, start, True, inputs, leading, create_graph)
        if fill and hooks.retained._entries:  # (retain_grad() called on some tensor)
            keep_retained([found], create_graph, stamp, zeros=fill == "zeros")
        results.append([found.get(x) for x in inputs])
    return results



def _result(array: np.ndarray) -> Tensor:
    """A result: a tensor of its own values, without a graph."""
    return Tensor.from_op(array, None)


def _outputs(outputs: tuple, tupled: bool, create_graph: bool = False) -> Any:
    """`func`'s outputs as it returned them (one, or a tuple), cut from the graph (kept
    with `create_graph`, as PyTorch's: differentiable as the products are)."""
    kept = outputs if create_graph else tuple(out.detach() for out in outputs)
    return kept if tupled else kept[0]

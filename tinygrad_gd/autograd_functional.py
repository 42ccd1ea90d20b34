"""PyTorch's `torch.autograd.functional`, as `tg.autograd.functional`: the Jacobian of a
function of tensors (`jacobian`) and its products with a vector, `vjp` (v . J) and `jvp`
(J . v).

Each calls `func` on fresh leaves made from the inputs (`x.detach()`, requiring a
gradient: the caller's tensors, their graph and their `.grad` are left alone) and
differentiates its outputs with the engine's one backward pass (`engine.backward`):

- `vjp`: one pass, from the scalar sum over the outputs of `(out * v).sum()`, whose
  gradient with respect to each input is v . J;
- `jacobian`: one pass per entry of each output, started from that entry's one-hot
  gradient: row k of J is the gradient of `out.flatten()[k]`;
- `jvp`: exact, as J . v from that Jacobian (PyTorch's "double backward trick" needs the
  second derivatives this engine does not record).

Each pass stops once every input it reaches has its gradient: a graph the function
closes over (a model's) is neither run past that point nor freed. The results are plain
tensors without a graph; where an output does not depend on an input its block is
zeros, or, with `strict=True`, PyTorch's error. `hessian`, `hvp` and `vhp` need second
derivatives: each refuses in one line (NotImplementedError), as does `create_graph=True`,
so that a PyTorch user's call says why rather than failing with an AttributeError.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from . import hooks
from .grad_mode import check_flag, enable_grad
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
    the numbers); the combinations PyTorch refuses are refused alike."""
    _refuse_create_graph("jacobian", create_graph)
    strict = check_flag("jacobian", "strict", strict)
    vectorize = check_flag("jacobian", "vectorize", vectorize)
    if not isinstance(strategy, str) or strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f"jacobian: strategy must be 'forward-mode' or 'reverse-mode', got "
                         f"{strategy!r:.40}")
    if strict and strategy == "forward-mode":
        raise RuntimeError("jacobian: strict=True and strategy='forward-mode' are not supported "
                           "together, as in PyTorch; set strict=False or "
                           "strategy='reverse-mode'")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("jacobian: strategy='forward-mode' is only implemented for "
                                  "vectorize=True, as in PyTorch")
    if strict and vectorize:
        raise RuntimeError("jacobian: strict=True and vectorize=True are not supported "
                           "together, as in PyTorch; set strict=False or vectorize=False")
    tupled_in, inputs = _leaves("jacobian", inputs)
    tupled_out, outputs = _call("jacobian", func, inputs)
    if strict:
        _check_outputs_require_grad("jacobian", outputs)
    result = []
    for i, (out, blocks) in enumerate(zip(outputs, _jacobian_blocks(outputs, inputs))):
        row = []
        for j, (x, block) in enumerate(zip(inputs, blocks)):
            if block is None and strict:
                raise RuntimeError(f"jacobian: Output {i} of the user-provided function is "
                                   f"independent of input {j}. This is not allowed in strict "
                                   f"mode; use strict=False for a block of zeros")
            dtype = out.dtype if strategy == "forward-mode" else x.dtype
            row.append(_result(np.zeros(out.shape + x.shape, dtype) if block is None
                               else block.astype(dtype, copy=False)))
        result.append(tuple(row) if tupled_in else row[0])
    return tuple(result) if tupled_out else result[0]


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`(func(*inputs), v . J)`: the outputs (without a graph) and the vector-Jacobian
    product, one per input, in its shape and dtype. `v` (a Tensor, or a tuple of them, one
    per output, each of its output's shape) may be left out when `func` returns one
    one-element tensor. One backward pass, from sum_i (out_i * v_i).sum()."""
    _refuse_create_graph("vjp", create_graph)
    strict = check_flag("vjp", "strict", strict)
    with enable_grad():  # (a composed op, under the caller's no_grad() too)
        tupled_in, inputs = _leaves("vjp", inputs)
        tupled_out, outputs = _call("vjp", func, inputs)
        if strict:
            _check_outputs_require_grad("vjp", outputs)
        vectors = _vectors("vjp", v, outputs, tupled_out, "the user-provided function returns "
                           "a single Tensor with a single element")
        total = None
        for out, vector in zip(outputs, vectors):
            if out.requires_grad:  # (one that does not adds nothing to any input's gradient)
                term = (out * vector).sum()  # (vector: a constant of out's dtype)
                total = term if total is None else total + term
    grads = [None] * len(inputs) if total is None else _gradients(
        total, [np.ones((), total.dtype)], inputs)[0]
    products = []
    for j, (x, grad) in enumerate(zip(inputs, grads)):
        if grad is None and strict:
            raise RuntimeError(f"vjp: The output of the user-provided function is independent "
                               f"of input {j}. This is not allowed in strict mode; use "
                               f"strict=False for zeros")
        products.append(_result(np.zeros_like(x._data) if grad is None else np.array(grad)))
    return _outputs(outputs, tupled_out), tuple(products) if tupled_in else products[0]


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`(func(*inputs), J . v)`: the outputs (without a graph) and the Jacobian-vector
    product, one per output, in its shape and dtype. `v` (a Tensor, or a tuple of them,
    one per input, each of its input's shape) may be left out when there is one
    one-element input. Exact: J . v from the Jacobian (one backward pass per output
    entry; PyTorch's double backward trick needs second derivatives)."""
    _refuse_create_graph("jvp", create_graph)
    strict = check_flag("jvp", "strict", strict)
    tupled_in, inputs = _leaves("jvp", inputs)
    vectors = _vectors("jvp", v, inputs, tupled_in, "the input to the user-provided "
                       "function is a single Tensor with a single element")
    tupled_out, outputs = _call("jvp", func, inputs)
    if strict:
        _check_outputs_require_grad("jvp", outputs)
    blocks = _jacobian_blocks(outputs, inputs)
    for j in range(len(inputs) if strict else 0):
        if all(row[j] is None for row in blocks):
            raise RuntimeError(f"jvp: The output of the user-provided function is independent "
                               f"of input {j}. This is not allowed in strict mode; use "
                               f"strict=False")
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
    """Not supported: PyTorch's differentiates the gradient's graph, which needs second
    derivatives; refused in one line."""
    raise _no_second_derivatives("hessian")


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """Not supported: a Hessian-vector product needs second derivatives; refused."""
    raise _no_second_derivatives("hvp")


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """Not supported: a vector-Hessian product needs second derivatives; refused."""
    raise _no_second_derivatives("vhp")


# -------------------------------------------------------------------- helpers


def _no_second_derivatives(where: str) -> NotImplementedError:
    return NotImplementedError(
        f"{where}: second derivatives are not supported: this engine's backward pass records "
        f"no graph to differentiate again (PyTorch's create_graph=True); use first "
        f"derivatives (jacobian, vjp), or finite differences of a gradient")


def _refuse_create_graph(where: str, create_graph: Any) -> None:
    if check_flag(where, "create_graph", create_graph):
        raise NotImplementedError(f"{where}: create_graph=True (a result to differentiate "
                                  f"again) is not supported: the backward pass records no graph")


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


def _leaves(where: str, inputs: Any) -> tuple[bool, tuple]:
    """Whether `inputs` was a tuple, and a fresh leaf requiring a gradient for each input
    (its values shared, as `detach()`'s): what `func` is called on."""
    tupled, inputs = _as_tuple(where, "inputs", inputs)
    for j, x in enumerate(inputs):
        if x.dtype.kind != "f":
            raise RuntimeError(f"{where}: input {j} has dtype {x.dtype}, and only "
                               f"floating-point tensors can require gradients; convert it "
                               f"first (x.double())")
    return tupled, tuple(x.detach().requires_grad_(True) for x in inputs)


def _call(where: str, func: Any, leaves: tuple) -> tuple[bool, tuple]:
    """`func(*leaves)`, recorded whatever the grad mode: whether it returned a tuple, and
    its outputs as a tuple of Tensors."""
    if not callable(func):
        raise TypeError(f"{where}: func must be a function of the inputs, got "
                        f"{type(func).__name__} {func!r:.40}")
    with enable_grad():
        return _as_tuple(where, _OUTPUTS, func(*leaves))


def _check_outputs_require_grad(where: str, outputs: tuple) -> None:
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"{where}: Output {i} of the user-provided function does not "
                               f"require gradients. The outputs must be computed in a "
                               f"differentiable manner from the input when running in "
                               f"strict mode")


def _vectors(where: str, v: Any, like: tuple, tupled: bool, when_none: str) -> list:
    """`v` as arrays, one per tensor of `like`, each of its shape (None: 1, allowed when
    `like` is one one-element tensor)."""
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
    return [vector._data for vector in v]


def _jacobian_blocks(outputs: tuple, inputs: tuple) -> list[list[np.ndarray | None]]:
    """J[i][j], the Jacobian of output i with respect to input j, of shape
    `out.shape + input.shape`: one pass per entry of output i; None where output i does
    not depend on input j (an output without entries: zeros)."""
    result = []
    for out in outputs:
        rows = _gradients(out, _one_hots(out), inputs) if out.requires_grad else []
        blocks = []
        for j, x in enumerate(inputs):
            column = [row[j] for row in rows]
            if out.requires_grad and out.numel() == 0:
                blocks.append(np.zeros(out.shape + x.shape, x.dtype))
            elif all(g is None for g in column):
                blocks.append(None)
            else:
                blocks.append(np.stack([np.zeros_like(x._data) if g is None else g
                                        for g in column]).reshape(out.shape + x.shape))
        result.append(blocks)
    return result


def _one_hots(out: Tensor) -> Iterable[np.ndarray]:
    """The gradients that start the passes of a Jacobian's rows: 1 at one entry of `out`."""
    for k in range(out.numel()):
        seed = np.zeros(out.numel(), out.dtype)
        seed[k] = 1
        yield seed.reshape(out.shape)


def _gradients(output: Tensor, seeds: Iterable[np.ndarray], inputs: tuple) -> list[list]:
    """For each seed, the gradient with respect to each input of `output`, from one
    engine pass started from that seed (None for an input it does not depend on): PyTorch's
    passes (`hooks.gradients_to`: the nodes and hooks on a path to an input only); graphs
    are kept (`retain_graph`): the function may have used one of the caller's."""
    leading = hooks.leading_to(output, inputs)  # (the same for every seed)
    results = []
    for seed in seeds:
        found = hooks.gradients_to(output, seed, True, inputs, leading)
        results.append([found.get(x) for x in inputs])
    return results


def _result(array: np.ndarray) -> Tensor:
    """A result: a tensor of its own values, without a graph."""
    return Tensor.from_op(array, None)


def _outputs(outputs: tuple, tupled: bool) -> Any:
    """`func`'s outputs as it returned them (one, or a tuple), cut from the graph."""
    detached = tuple(out.detach() for out in outputs)
    return detached if tupled else detached[0]

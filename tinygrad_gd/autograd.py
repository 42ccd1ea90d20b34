"""PyTorch's `torch.autograd` spellings: `grad` (gradients returned, `.grad` untouched),
`backward` (`inputs=`: only those tensors' `.grad` accumulate), `Function` (the base of
your own ops, `tg.Function`), anomaly mode (`detect_anomaly`, `set_detect_anomaly`,
`is_anomaly_enabled`, from `anomaly.py`), `functional` (`jacobian`, `vjp`, `jvp`,
`hessian`, `hvp`, `vhp`, from `autograd_functional.py`), `function` (`once_differentiable`, from
`autograd_function.py`), `graph` (`saved_tensors_hooks`, `save_on_cpu`,
`disable_saved_tensors_hooks`, `Node`, `GradientEdge`, `register_multi_grad_hook`, ...,
from `autograd_graph.py`), `forward_ad` (forward mode: `dual_level`, `make_dual`,
`unpack_dual`, from `forward_ad.py`) and `set_multithreading_enabled` (kept, no effect:
the backward pass runs in the calling thread); the grad modes (`no_grad`, `enable_grad`,
`set_grad_enabled`, `inference_mode`: `tg.no_grad` and the rest, as torch.autograd holds
torch's), and the deprecated `Variable` and `variable` and `is_tensor_like` (from
`autograd_variable.py`).

`tg.autograd.grad(loss, [w, b])` runs the engine's one backward pass, as far as those
gradients need (`hooks.gradients_to`), and hands back the gradients of `loss` with
respect to `w` and `b`, leaves or not, without adding them into their `.grad`: the chain
rule as a function, for a learner who wants the numbers without the side effect. As
PyTorch's, a tensor that called `retain_grad()` on the way still keeps its gradient in
`.grad` (retained_passes.py's `keep_retained`, which tg.autograd.functional shares).
Several outputs make one pass too, from a node of their own above them all
(`_Outputs`), so each hook sees the complete gradient.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any, Sequence

import numpy as np

from .errors import user_stacklevel
from . import autograd_function as function
from . import autograd_functional as functional
from . import autograd_graph as graph
from . import functional as tensor_functions
from . import forward_ad
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .autograd_graph_more import edge_tensors, is_multithreading_enabled, set_multithreading_enabled
from .autograd_variable import Variable, is_tensor_like, variable
from .backward_passes import next_stamp
from .engine import Function, enable_grad, no_grad
from .grad_mode import inference_mode, set_grad_enabled
from .higher_order import seed_tensor
from .hooks import accumulate_grads, backward_inputs, gradients_to, retained, tensor_list
from .retained_passes import keep_retained
from .tensor import Tensor

__all__ = ["grad", "backward", "Function", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "functional", "function", "graph", "forward_ad",
           "set_multithreading_enabled", "is_multithreading_enabled", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "Variable", "variable", "is_tensor_like"]
# `from tinygrad_gd.autograd.functional import jacobian`, as PyTorch's, though this is a
# module, not a package (as `os.path` is made importable); `.function` likewise
sys.modules[f"{__name__}.functional"] = functional
sys.modules[f"{__name__}.function"] = function
sys.modules[f"{__name__}.graph"] = graph
sys.modules[f"{__name__}.forward_ad"] = forward_ad


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True,
         allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple[Any, ...]:
    """The gradients of `outputs` (summed over them) with respect to each of `inputs`, as
    a tuple of Tensors; no input's `.grad` changes (a retain_grad() tensor's that the pass
    reaches does, as PyTorch's, but with is_grads_batched). An input the outputs do not
    depend on is an error, or None with `allow_unused=True` (zeros with
    `materialize_grads=True`, which allows it). The graph is freed afterwards unless
    `retain_graph=True`, as after `backward()`; as PyTorch's, the hooks on a path to the
    inputs run, no others, and the graph below the inputs is neither run nor freed
    (`hooks.gradients_to`).
    `is_grads_batched=True`: the first axis of each of `grad_outputs` is a batch, one pass
    per entry (PyTorch's vmap gives the same numbers; a hook runs once per entry, on that
    entry's gradient), each result with that axis first.
    With `create_graph=True` too the rows are stacked by a recorded op, so the batched
    gradients differentiate again as PyTorch's do.
    `only_inputs`: deprecated and ignored, as in PyTorch. `create_graph=True`: the
    gradients are tensors with a graph, to differentiate again (second derivatives,
    higher_order.py); the graph is then kept unless `retain_graph=False`."""
    if not only_inputs:
        warnings.warn("grad: only_inputs argument is deprecated and is ignored now (defaults "
                      "to True); to accumulate gradients elsewhere use tg.autograd.backward",
                      FutureWarning, stacklevel=user_stacklevel())
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    outputs = tensor_list("grad", "outputs", outputs)
    wanted = tensor_list("grad", "inputs", edge_tensors(outputs, inputs))  # (an edge: its tensor)
    if not wanted:
        raise RuntimeError("grad: inputs cannot be empty; give the tensors to differentiate "
                           "with respect to")
    seeds = _one_each("grad", "outputs", outputs, "grad_outputs", grad_outputs)
    for t in outputs + wanted:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: every output and input must be a Tensor that requires a "
                               f"gradient, got {t!r:.60}")
    rows = _batch_rows(outputs, seeds) if is_grads_batched else [seeds]
    retain_graph = retain_graph if retain_graph is not None else create_graph
    passes, start = [], next_stamp()  # (start: where a retained .grad they fill starts)
    for k, row in enumerate(rows):  # (the graph kept for the next row's pass)
        row = [t._seed(s, "grad", "grad_outputs=", "grad_outputs") for t, s in zip(outputs, row)]
        if create_graph:  # (a batch's row: its entry of the given tensor, with its graph)
            row = [seed_tensor(given[k] if is_grads_batched and isinstance(given, Tensor)
                               else given, s) for given, s in zip(seeds, row)]
        passes.append(gradients_to(*_start(outputs, row), bool(retain_graph)
                                   or k < len(rows) - 1, wanted, None, bool(create_graph)))
    # (retain_grad() called on some tensor: none, mostly; a batch's rows fill no .grad, as
    # PyTorch's vmap leaves one that cannot be read)
    if retained._entries and not is_grads_batched:
        keep_retained(passes, bool(create_graph), start)
    result = []
    for j, t in enumerate(wanted):
        grads = [found.get(t) for found in passes]
        if all(g is None for g in grads):
            if not allow_unused:
                raise RuntimeError(f"grad: input {j} (shape {t.shape}) was not used to compute "
                                   f"the outputs; pass allow_unused=True to get None")
            # (zeros of the input's shape, batched or not, a leaf that requires a gradient
            # with create_graph: PyTorch's zeros_like(input, requires_grad=create_graph))
            result.append(Tensor(np.zeros(t.shape, t.dtype), requires_grad=bool(create_graph))
                          if materialize_grads else None)
        elif is_grads_batched and create_graph:  # (rows stacked as an op: differentiable)
            result.append(tensor_functions.stack([Tensor.from_op(np.zeros(t.shape, t.dtype), None)
                                            if g is None else g for g in grads]))
        elif is_grads_batched:
            result.append(Tensor.from_op(np.stack([np.zeros(t.shape, t.dtype) if g is None
                                                   else g for g in grads]), None))
        else:  # (a copy, an array even where NumPy's 0-d sum gave a scalar; create_graph's:
            # the pass's own tensor)
            result.append(grads[0] if create_graph else Tensor.from_op(np.array(grads[0]), None))
    return tuple(result)


def _batch_rows(outputs: list, seeds: list) -> list[list]:
    """`is_grads_batched`: the seeds of each pass, entry k of every grad_output (each given,
    of shape (batch,) + its output's shape, one batch size for all)."""
    arrays = [np.asarray(getattr(s, "_data", s)) if s is not None else None for s in seeds]
    for k, (out, array) in enumerate(zip(outputs, arrays)):
        if array is None or array.ndim == 0 or array.shape[1:] != out.shape:
            raise RuntimeError(f"grad: with is_grads_batched=True, the first axis of each "
                               f"grad_output is the batch, the rest its output's shape, but "
                               f"grad_outputs[{k}] has shape "
                               f"{None if array is None else array.shape} and output {k} "
                               f"shape {out.shape}")
    sizes = sorted({array.shape[0] for array in arrays})
    if sizes != [sizes[-1]] or not sizes[-1]:
        raise RuntimeError(f"grad: with is_grads_batched=True every grad_output needs the same "
                           f"batch size, at least 1, got {[array.shape[0] for array in arrays]}")
    return [[array[k] for array in arrays] for k in range(arrays[0].shape[0])]


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             grad_variables: Any = None, inputs: Any = None) -> None:
    """The gradients of `tensors` (summed over them) added into the leaves' `.grad`, in one
    backward pass (PyTorch's torch.autograd.backward); one tensor: `t.backward(g)`.
    `inputs` (a tensor or a sequence, leaves or not): only their `.grad` accumulate.
    `grad_variables`: the old name of `grad_tensors` (deprecated, as in PyTorch)."""
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("backward: grad_tensors and grad_variables (its deprecated "
                               "name) were both given; give grad_tensors only")
        warnings.warn("backward: grad_variables is deprecated; use grad_tensors instead",
                      FutureWarning, stacklevel=user_stacklevel())
        grad_tensors = grad_variables
    tensors = tensor_list("backward", "tensors", tensors)
    inputs = backward_inputs("backward", edge_tensors(tensors, inputs))
    seeds = _one_each("backward", "tensors", tensors, "grad_tensors", grad_tensors)
    retain_graph = retain_graph if retain_graph is not None else create_graph
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return tensors[0].backward(seeds[0], bool(retain_graph), create_graph, inputs=inputs)
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"backward: tensor {k} does not require a gradient and has no "
                               f"graph ({t!r:.60}); every tensor must be a result of ops on "
                               f"tensors created with requires_grad=True")
    arrays = [t._seed(s, "backward", "grad_tensors=", "grad_tensors")
              for t, s in zip(tensors, seeds)]
    if create_graph:
        arrays = [seed_tensor(given, s) for given, s in zip(seeds, arrays)]
    accumulate_grads(*_start(tensors, arrays), bool(retain_graph), inputs, bool(create_graph))
    return None


class _Outputs(Function, register=False, name="outputs"):
    """The node a pass over several outputs starts from: its inputs are the outputs, and
    its backward hands each its own starting gradient (the user's graph is not touched:
    nothing points to this node but the tensor `_start` makes)."""

    @classmethod
    def over(cls, outputs: list, seeds: list) -> "_Outputs":
        """The node above `outputs`, its backward handing them `seeds`."""
        # not apply(): that records nothing under no_grad(), and no extension (op hooks,
        # anomaly mode) should see this node, which is not the user's
        node = cls()
        node.parents, node.saved_tensors, node.seeds = tuple(outputs), (), tuple(seeds)
        node.needs_input_grad = (True,) * len(outputs)
        return node

    def backward(ctx, grad: np.ndarray) -> tuple:  # noqa: N805
        return ctx.seeds

    def backward_graph(ctx, out: Tensor, grad: Tensor) -> tuple:  # noqa: N805
        return ctx.seeds  # (with create_graph=True, Tensors)


def _start(outputs: list, seeds: list) -> tuple[Tensor, Any]:
    """Where one pass over `outputs` starts: the output itself when there is one, else a
    tensor made by `_Outputs` (gradient 1, a Tensor where the seeds are: create_graph)
    from all of them."""
    if len(outputs) == 1:
        return outputs[0], seeds[0]
    one = np.ones(())
    return (Tensor.from_op(np.zeros(()), _Outputs.over(outputs, seeds)),
            Tensor.from_op(one, None) if isinstance(seeds[0], Tensor) else one)


def _one_each(what: str, name: str, tensors: list, seeds_name: str, seeds: Any) -> list:
    """One starting gradient per tensor: the list given (of the same length), or the one
    given (None: each tensor's own 1) for every tensor."""
    if not isinstance(seeds, (list, tuple)):
        return [seeds] * len(tensors)
    if len(seeds) != len(tensors):
        raise ValueError(f"{what}: {len(tensors)} {name} but {len(seeds)} {seeds_name}; give "
                         f"one per tensor (None for a one-element tensor's 1), as PyTorch's")
    return list(seeds)

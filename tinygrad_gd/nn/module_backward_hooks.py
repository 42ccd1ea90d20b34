"""A Module's backward hooks run as PyTorch's (`register_full_backward_hook`,
`register_full_backward_pre_hook`): the gradients come from the engine's own pass.

A module call with such hooks, while gradients are recorded, passes its output tensors
through one node of the graph and (with full hooks) its positional tensors that need a
gradient through another (PyTorch's BackwardHookFunction): each node's forward is the
identity (a copy), so the values are the same; its backward gets the gradient of all
those tensors at once. The output node's backward calls the pre-hooks with
`grad_output` (what one returns replaces it), the input node's the full hooks with
`grad_input` and `grad_output` (what one returns replaces `grad_input`). Several tensors
on one side travel as one flat array, the node's output, read back by one
`backward_hook_part` node each (an op has one output here). `grad_input` has one entry
per positional argument, None for one that is no tensor (zeros for a tensor that needs
no gradient); `grad_output` one per output (a tensor, or each of a tuple of them), None
for one that got no gradient, as PyTorch's. When no input needs a gradient, the full
hooks run at the output node with `grad_input` all None, and warn, as PyTorch's.
The nodes say which tensor their output holds (`stands_for`) and whose hooks they run
(`hooked_module`), and note where the hooks sent on other numbers than they got
(`hooks.keep_node_change`), for the diagrams; from the first such pass on, the passes note
where each `.grad` starts (`hooks.watch_grad_starts`), which look-only hooks never need.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import grad_starts, hooks
from ..engine import Function
from ..errors import user_stacklevel
from ..tensor import Tensor

__all__ = ["HookedCall"]

class _Gather(Function, register=False, name="backward_hook"):
    """The identity on one tensor, or several flattened into one array: its backward hands
    the gradient of all of them, at once, to the module call's hooks."""

    def forward(ctx, *arrays: np.ndarray, call: "HookedCall",  # noqa: N805
                side: str) -> np.ndarray:
        if len(arrays) == 1:  # (a copy: an in-place change inside leaves the input as it is)
            return arrays[0].copy()
        return np.concatenate([a.ravel() for a in arrays])

    def backward(ctx, grad: np.ndarray) -> tuple:  # noqa: N805
        call, side = ctx.params["call"], ctx.params["side"]
        shapes = [p.shape for p in ctx.parents]
        if len(shapes) == 1:
            grads = [grad]
        else:
            ends = np.cumsum([int(np.prod(s)) for s in shapes])
            grads = [g.reshape(s) for g, s in zip(np.split(grad, ends[:-1]), shapes)]
        sent = (call.outputs_backward(grads) if side == "output"
                else call.inputs_backward(grads))
        # (where the hooks sent on other numbers than they got, the diagrams name them: one
        # written in place, or a replacement of other values; no copy, one that looks only)
        changed = call.written
        for old, new in zip(grads, sent):
            changed = changed or new is not None and new is not old and hooks.differs(old, new)
        if changed:  # (kept, and from the first pass they change numbers in, passes note
            hooks.keep_node_change(ctx, changed)  # where each .grad starts: hooks that
            hooks.watch_grad_starts(ctx)  # look only cost neither)
        return tuple(sent)

    def stands_for(ctx, tensor: Tensor) -> Tensor | None:  # noqa: N805
        """The tensor whose values `tensor`, this node's output, holds (for the diagrams,
        which may draw that one in its place); None for several flattened into one."""
        return ctx.parents[0] if len(ctx.parents) == 1 else None

    def hooked_module(ctx) -> Any:  # noqa: N805
        """The module whose hooks this node runs: a diagram names it where they changed a
        `.grad` (`hooks.node_changed_into`)."""
        return ctx.params["call"].module


class _Part(Function, register=False, name="backward_hook_part"):
    """Entry `index` of a `_Gather` of several tensors, in its shape and dtype."""

    def forward(ctx, flat: np.ndarray, start: int, shape: tuple, dtype: Any,  # noqa: N805
                reached: list, index: int) -> np.ndarray:
        return flat[start:start + int(np.prod(shape))].reshape(shape).astype(dtype)

    def backward(ctx, grad: np.ndarray) -> np.ndarray:  # noqa: N805
        params = ctx.params
        params["reached"][params["index"]] = True  # (an output no gradient reached: None)
        flat = np.zeros(ctx.parents[0].shape, ctx.parents[0].dtype)
        flat[params["start"]:params["start"] + grad.size] = grad.ravel()
        return flat

    def stands_for(ctx, tensor: Tensor) -> Tensor:  # noqa: N805
        """The tensor whose values `tensor` holds: the gathered node's input `index`."""
        return ctx.parents[0]._ctx.parents[ctx.params["index"]]


def _through_node(tensors: list, call: "HookedCall", side: str, reached: list) -> list:
    """`tensors` (each needs a gradient) as the outputs of one `_Gather` node."""
    gathered = _Gather.apply(*tensors, call=call, side=side)
    if len(tensors) == 1:
        return [gathered]
    parts, start = [], 0
    for index, t in enumerate(tensors):
        parts.append(_Part.apply(gathered, start=start, shape=t.shape, dtype=t.dtype,
                                 reached=reached, index=index))
        start += t.size
    return parts


class HookedCall:
    """One call of a module with backward hooks: what its nodes need to run them."""

    def __init__(self, module: Any, full_hooks: list, pre_hooks: list) -> None:
        self.module, self.full_hooks, self.pre_hooks = module, full_hooks, pre_hooks
        self.name = type(module).__name__
        self.n_inputs = 0
        self.inputs: list[int] | None = None  # positions of inputs that need a gradient
        self.other_inputs: dict[int, tuple] = {}  # the other tensors': (shape, dtype)
        self.n_outputs = 0
        self.outputs: list[int] = []  # positions of outputs that need a gradient
        self.reached: list[bool] = []
        self.grad_outputs: tuple | None = None
        self.written = False  # whether a hook wrote into a gradient it was given, this pass

    def setup_inputs(self, args: tuple) -> tuple:
        """`args` with each tensor that needs a gradient passed through the input node."""
        self.n_inputs = len(args)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not positions or not self.full_hooks:  # (pre-hooks alone need no input node)
            return args
        self.inputs = positions
        self.other_inputs = {i: (a.shape, a.dtype) for i, a in enumerate(args)
                             if isinstance(a, Tensor) and i not in positions}
        new = list(args)
        tensors = [args[i] for i in positions]
        for i, t in zip(positions, _through_node(tensors, self, "input", [False] * len(tensors))):
            new[i] = t
        return tuple(new)

    def setup_outputs(self, output: Any) -> Any:
        """`output` (a Tensor, or a tuple) with each tensor that needs a gradient passed
        through the output node; anything else is returned as it is, with PyTorch's
        warning that the hooks will not run."""
        if not isinstance(output, (Tensor, tuple)):
            warnings.warn(f"{self.name}: for backward hooks to be called, module output "
                          f"should be a Tensor or a tuple of Tensors, but received "
                          f"{type(output).__name__}", stacklevel=user_stacklevel())
            return output
        outputs = output if isinstance(output, tuple) else (output,)
        self.n_outputs = len(outputs)
        self.outputs = [i for i, o in enumerate(outputs)
                        if isinstance(o, Tensor) and o.requires_grad]
        if not self.outputs:
            return output
        self.reached = [len(self.outputs) == 1] * len(self.outputs)
        new = list(outputs)
        for i, t in zip(self.outputs, _through_node([outputs[i] for i in self.outputs], self,
                                                    "output", self.reached)):
            new[i] = t
        return tuple(new) if isinstance(output, tuple) else new[0]

    # -- the backward pass ---------------------------------------------------------------
    def outputs_backward(self, grads: list) -> list:
        """The output node's backward: the pre-hooks on grad_output (then the full hooks,
        when no input needs a gradient); the gradients it sends on."""
        given = [Tensor.from_op(g, None) if reached else None
                 for g, reached in zip(grads, self.reached)]
        self.reached[:] = [len(self.outputs) == 1] * len(self.outputs)  # (the next pass's)
        grad_outputs = _with_none(self.outputs, given, self.n_outputs)
        self.written = False
        for hook in self.pre_hooks:
            result = hook(self.module, grad_outputs)
            if result is not None:
                grad_outputs = self._replacement(result, grad_outputs, "full_backward_pre_hook",
                                                 "grad_output")
        self.grad_outputs = grad_outputs
        if self.inputs is None and self.full_hooks:
            warnings.warn(f"{self.name}: full backward hook is firing when gradients are "
                          f"computed with respect to module outputs since no inputs require "
                          f"gradients (PyTorch's rule)", UserWarning,
                          stacklevel=user_stacklevel())
            for hook in self.full_hooks:
                result = hook(self.module, (None,) * self.n_inputs, grad_outputs)
                if result is not None and not (isinstance(result, tuple)
                                               and all(r is None for r in result)):
                    raise RuntimeError(f"register_full_backward_hook: a backward hook of "
                                       f"{self.name}, where no input requires a gradient, "
                                       f"returned {type(result).__name__}; it should always "
                                       f"return None or None for all gradients")
            self.grad_outputs = None
        self.written = any(g is not None and grad_starts.written(g) for g in given)
        return [_array(grad_outputs[i]) for i in self.outputs]

    def inputs_backward(self, grads: list) -> list:
        """The input node's backward: the full hooks on grad_input and grad_output; the
        gradients it sends on to the inputs."""
        self.written = False
        if self.grad_outputs is None or self.inputs is None:  # (not through the output node)
            return grads
        arrays = dict(zip(self.inputs, grads))
        arrays.update((i, np.zeros(*self.other_inputs[i])) for i in self.other_inputs)
        grad_inputs = tuple(Tensor.from_op(arrays[i], None) if i in arrays else None
                            for i in range(self.n_inputs))  # (PyTorch's zeros, for the others)
        given = grad_inputs
        for hook in self.full_hooks:
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None:
                grad_inputs = self._replacement(result, grad_inputs, "full_backward_hook",
                                                "grad_input")
        self.grad_outputs = None
        self.written = any(grad_starts.written(given[i]) for i in self.inputs)
        return [_array(grad_inputs[i]) for i in self.inputs]

    def _replacement(self, result: Any, old: tuple, kind: str, what: str) -> tuple:
        """What a hook returned, checked: one entry per entry of `old` (None, or a tensor
        or array of the same shape), as a tuple of Tensors and Nones."""
        if kind == "full_backward_pre_hook" and isinstance(result, Tensor) and len(old) == 1:
            result = (result,)  # (PyTorch's documents allow one Tensor)
        if not isinstance(result, (tuple, list)):
            raise TypeError(f"register_{kind}: a hook of {self.name} returned "
                            f"{type(result).__name__}; return None or a tuple of "
                            f"{len(old)} gradient(s) (a Tensor or None each) to replace {what}")
        if len(result) != len(old):
            raise RuntimeError(f"register_{kind}: a hook of {self.name} returned an invalid "
                               f"number of {what}, got {len(result)}, but expected {len(old)}")
        new = []
        for k, (value, before) in enumerate(zip(result, old)):
            if value is None or before is None:
                new.append(None if before is None else value)  # (no gradient there: ignored)
                continue
            try:
                array = np.asarray(getattr(value, "_data", value), dtype=before.dtype)
            except (TypeError, ValueError):
                raise TypeError(f"register_{kind}: a hook of {self.name} returned "
                                f"{type(value).__name__} as {what}[{k}]; return a Tensor of "
                                f"shape {before.shape}, or None") from None
            if array.shape != before.shape:
                raise RuntimeError(f"register_{kind}: a hook of {self.name} returned {what}"
                                   f"[{k}] of shape {array.shape} for a gradient of shape "
                                   f"{before.shape}; return one of that shape (or None)")
            new.append(Tensor.from_op(array, None))
        return tuple(new)


def _with_none(positions: list, values: list, size: int) -> tuple:
    """A tuple of `size` entries: `values` at `positions`, None elsewhere."""
    entries: list = [None] * size
    for i, value in zip(positions, values):
        entries[i] = value
    return tuple(entries)


def _array(grad: Any) -> np.ndarray | None:
    return None if grad is None else grad._data

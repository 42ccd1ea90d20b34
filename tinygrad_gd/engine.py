"""The engine: an op as a `Function`, the graph's order (consumers first), the backward pass.

Read it top to bottom:

1. `Function`: one op. `forward` computes the output array from the input arrays;
   `backward` is its vector-Jacobian product, the inputs' gradients from the output's.
   `apply` runs `forward` and, when some input needs a gradient, records the function
   object itself as the graph node (it is the `ctx`); else the output is a constant.
2. `toposort(output)`: the tensors it was made from that need a gradient, consumers first.
3. `backward(output, seed)`: the chain rule over that order. Each node's gradient is
   complete when its turn comes (the sum over its consumers); its `vjp` (the op's
   `backward`) turns it into its inputs' gradients, which are added into theirs.

The engine knows no particular op (they live in `ops/`), nothing of drawing or of `nn`.
Extras, each in its own module and free when off, join at one extension point (`switch`):
anomaly mode, in-place checks (always on), gradient and saved-array hooks, the diagrams' module
scope, forward mode, inference tensors, checkpointing, reshapes in place and their old layouts.
"""
from __future__ import annotations

import threading
from typing import Any, Iterator

import numpy as np

from . import registry
from .autograd_function import FunctionCtx, OpName, gradients_for
from .grad_mode import enable_grad, is_grad_enabled, no_grad  # noqa: F401  (the engine's API)
from .op_errors import backward_error, forward_result, op_error
from .registry import on_register, registered_ops  # noqa: F401  (the engine's API too)
from .tracked import read_only_view

__all__ = ["Function", "Extension", "extensions", "switch", "toposort", "backward", "unbroadcast",
           "no_grad", "enable_grad", "is_grad_enabled", "registered_ops", "on_register"]

# -------------------------------------------------------------------- the extension point


class Extension:
    """An extra that joins the engine at four moments (each method does nothing by default);
    `switch(instance)` switches it on, `switch(instance, on=False)` off."""

    def applied(self, node: "Function", inputs: tuple, output: Any) -> None:
        """An op ran: `output` is its Tensor; `node.parents` is set when it was recorded."""

    def before_backward(self, node: "Function") -> None:
        """`node.backward` is about to run: raise to refuse (its saved values changed)."""

    def gradient(self, tensor: Any, grad: Any) -> Any:
        """`tensor`'s gradient is complete, before it is used: return it, or a replacement
        (an array; a Tensor when the pass creates a graph)."""
        return grad

    def after_backward(self, node: "Function", grad: np.ndarray, input_grads: tuple) -> None:
        """`node.backward(grad)` returned `input_grads`, already in the inputs' shapes."""


extensions: tuple[Extension, ...] = ()  # those switched on, in the order they joined
_switching = threading.Lock()


def switch(extension: Extension, on: bool = True) -> None:
    """Switch `extension` on (once, however often asked) or off, from any thread. A new
    tuple each time: a pass looping over the old one (another thread's) skips none."""
    global extensions
    with _switching:
        if not on:
            extensions = tuple([e for e in extensions if e is not extension])
        elif extension not in extensions:
            extensions += (extension,)


# -------------------------------------------------------------------- Function

Tensor: Any = None  # the class apply wraps outputs in: tensor.py's (set there, not imported)
redirect: Any = None  # in_place_recorded.py's, once a tensor in a graph is changed in place
recorded_vjp: Any = None  # higher_order.py's: a node's backward as recorded Tensor ops


class Function(FunctionCtx):
    """Base class of every op. Subclass it to define your own (PyTorch's autograd idiom).

    `forward(ctx, *arrays, **params)` gets the inputs' NumPy arrays (read-only for a
    user's op: make new ones) and returns the output array, keeping what backward needs
    with `ctx.save_for_backward(...)`. `backward(ctx, grad)` gets the gradient of the
    output and returns one per input (a tuple, or one array for a one-input op; None
    where an input needs none); a broadcast input's may keep the broadcast shape (the
    engine sums it back); `backward_graph(ctx, out, grad)` (optional) is the same in Tensor
    ops on `ctx.parents`, `out` and `grad`, for second derivatives (higher_order.py). Call
    an op as `Power.apply(x, p=3)`: positional arguments are the inputs (Tensors, numbers,
    arrays), keywords non-differentiable parameters (a user's op: see autograd_function.py).

    The class statement says what the rest of the package needs to know: `class
    Cube(Function, name="cube", methods=("cube",), functions=("cube",), elementwise=True)`
    (or those names set in the class body). `name` (default: the class name in lower
    case) is used in errors, diagrams and `registered_ops()`; `methods` become Tensor
    methods (operators such as `"__add__"` too; `reflected=("__radd__",)` swaps the
    operands), `functions` `tg.` functions (none a built-in op's); `elementwise=True`
    tells the diagrams output element k depends on input element k only. `call` (a
    classmethod) checks a method's arguments; `register=False` makes a throwaway op.
    """

    name = "function"
    elementwise = False
    methods: tuple[str, ...] = ()
    reflected: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    # what apply sets on every node, in slots (extras add theirs: recorded_at, scope, ...)
    __slots__ = ("parents", "saved_tensors", "needs_input_grad", "__dict__", "__weakref__")
    params: dict = {}  # the keyword parameters it was applied with (apply sets any given)

    def __init_subclass__(cls, register: bool = True, name: str | None = None,
                          **declared: Any) -> None:
        super().__init_subclass__()
        for key in ("elementwise", "methods", "reflected", "functions"):  # a keyword or the
            value = declared.pop(key, cls.__dict__.get(key, getattr(Function, key)))  # body
            setattr(cls, key, tuple(value) if isinstance(value, (list, tuple)) else value)
        if declared:  # (what a class declares is its own, never inherited)
            raise TypeError(f"class {cls.__name__}(Function, {next(iter(declared))}=...): "
                            f"unknown keyword; use name, methods, reflected, functions, "
                            f"elementwise, register")
        # a string that is also PyTorch's method: `y.grad_fn.name()`
        cls.name = OpName(name or cls.__dict__.get("name") or cls.__name__.lower())
        # a user's op gets read-only arrays: a write into one would change the caller's
        # tensor or another input's gradient (the built-in ops are tested never to write)
        cls.built_in = registry.built_in(cls)
        if register:
            registry.register(cls)

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward (`ctx.saved_tensors`); the engine frees them after the pass."""
        self.saved_tensors = arrays

    def forward(ctx, *arrays: np.ndarray, **params: Any) -> np.ndarray:  # noqa: N805
        """The op on the inputs' arrays: return the output array. Override it."""
        raise NotImplementedError(f"op '{ctx.name}' defines no forward")

    def backward(ctx, grad: np.ndarray) -> Any:  # noqa: N805
        """The vector-Jacobian product: one gradient per input, from the output's. Override it."""
        raise NotImplementedError(f"op '{ctx.name}' defines no backward")

    @classmethod
    def call(cls, *args: Any, **kwargs: Any) -> Any:
        """What `x.method(...)` and `tg.function(x, ...)` do: check the arguments, then apply."""
        return cls.apply(*args, **kwargs)

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the op on tensors; record it as a graph node when some input needs a gradient."""
        inputs = Tensor.operands(inputs, cls.name)  # numbers and arrays become constants
        ctx = cls()
        ctx.parents, ctx.saved_tensors = (), ()  # parents: the inputs, once recorded
        ctx.needs_input_grad = tuple([bool(t._requires_grad) for t in inputs])
        arrays = [t._data for t in inputs]
        if not cls.built_in:
            arrays = [read_only_view(a) for a in arrays]
        try:
            if cls.setup_context is None:  # (cls.forward: a @staticmethod forward works too)
                out = cls.forward(ctx, *arrays, **params)
            else:  # PyTorch 2's style: forward(*inputs), then setup_context(ctx, inputs, out)
                out = cls.forward(*arrays, **params)
                cls.setup_context(ctx, tuple(arrays), out)
            if not (cls.built_in and isinstance(out, np.ndarray)):
                out = forward_result(ctx, out)
        except (ValueError, TypeError, AttributeError, MemoryError) as err:
            raise op_error(cls.name, inputs, err, not cls.built_in) from (
                None if cls.built_in else err)  # (a user's op: its traceback kept)
        if params:
            ctx.params = params  # the keywords, to run the op again (diagrams, views retaken)
        recorded = is_grad_enabled() and True in ctx.needs_input_grad
        if recorded:
            ctx.parents = inputs
        output = Tensor.from_op(out, ctx if recorded else None)
        if not recorded:  # a constant made of constants: the diagrams say by which op
            output._made_by = cls.name
        for extension in extensions:
            extension.applied(ctx, inputs, output)
        return output

    def vjp(ctx, grad: np.ndarray) -> list:  # noqa: N805
        """`backward(grad)` as one gradient per input, in its shape and dtype (or None)."""
        try:  # type(ctx).backward: a @staticmethod backward works too
            input_grads = type(ctx).backward(ctx, grad if ctx.built_in else read_only_view(grad))
        except (ValueError, AttributeError) as err:
            raise backward_error(ctx.name, err) from err
        if input_grads.__class__ is not tuple or len(input_grads) != len(ctx.parents):
            input_grads = gradients_for(ctx.name, input_grads, len(ctx.parents))  # (one array)
        return [_fit(g, parent._data, ctx.name) if g is not None and parent._requires_grad
                else None for g, parent in zip(input_grads, ctx.parents)]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} node '{self.name}'>"

# -------------------------------------------------------------------- the backward pass


def toposort(*outputs: Any, every: bool = False) -> list:
    """The outputs and the tensors they were made from that need a gradient (`every=True`:
    all, as the diagrams want), each before its inputs. An iterative depth-first search
    (no recursion limit): a tensor is `opened` when its inputs are pushed, and added to the
    order when met again with all of them added. (`redirect`: see in_place_recorded.py.)"""
    if redirect is not None:
        redirect(outputs)
    # Optimization (benchmarks/README.md, "The sort"): each tensor's state in two sets, no
    # (tensor, state) pair per stack entry: no object per tensor for the garbage collector
    order, opened, added = [], set(), set()  # (sets of tensors: they hash by identity)
    stack = list(reversed(outputs))  # the first on top
    while stack:
        tensor = stack[-1]
        if tensor in added:
            stack.pop()  # pushed by two consumers: added when first met again
        elif tensor in opened:
            stack.pop()
            added.add(tensor)
            order.append(tensor)  # every input of its node is in the order already
        else:
            opened.add(tensor)
            for parent in reversed(tensor._ctx.parents) if tensor._ctx is not None else ():
                if (every or parent._requires_grad) and parent not in opened:
                    stack.append(parent)
    order.reverse()
    return order


def backward(output: Any, seed: Any, retain_graph: bool = False, only: Any = None,
             create_graph: bool = False) -> Iterator[tuple]:
    """The chain rule, one tensor at a time: yields `(tensor, grad, input_grads)`.

    `grad` is the gradient of the output with respect to `tensor`, complete (summed over
    every consumer of it); `input_grads` is what its node's backward made of it, one per
    input (empty for a leaf). `Tensor.backward` stores the leaves' gradients; the diagrams
    read every step; nothing here writes `.grad`. Saved arrays are freed as the pass goes
    unless `retain_graph`; `only` (a set of tensors) skips every other one. `create_graph`:
    gradients are Tensors made by recorded ops, to differentiate again (higher_order.py)."""
    grads = {output: seed}
    for tensor in toposort(output):
        grad = grads.pop(tensor, None)
        if grad is None or only is not None and tensor not in only:
            continue  # no gradient flows to it (or none is wanted through it)
        for extension in extensions:
            grad = extension.gradient(tensor, grad)
        node = tensor._ctx
        if node is None:
            yield tensor, grad, ()
            continue
        if node.saved_tensors is None:
            raise RuntimeError(f"backward(): trying to backward through op '{node.name}' a "
                               f"second time, but its saved arrays were freed after the first "
                               f"backward(); pass retain_graph=True to the first backward() "
                               f"if you need to call it twice")
        for extension in extensions:
            extension.before_backward(node)
        input_grads = (node.vjp(grad) if not create_graph  # the chain rule: grad of input
                       else recorded_vjp(node, tensor, grad))  # = backward(grad of output)
        if not retain_graph and node.saved_tensors:  # (saved nothing: it may run again)
            node.saved_tensors = None
        for extension in extensions:
            extension.after_backward(node, grad, input_grads)
        yield tensor, grad, input_grads
        for parent, input_grad in zip(node.parents, input_grads):
            if input_grad is None:  # (vjp gives None to an input that needs no gradient)
                continue
            earlier = grads.get(parent)  # the sum over consumers
            grads[parent] = input_grad if earlier is None else earlier + input_grad


def _fit(grad: Any, like: np.ndarray, name: str) -> np.ndarray:
    """An op's gradient for an input in that input's shape (summing a broadcast) and dtype."""
    grad = np.asarray(grad)  # (NumPy's 0-d arithmetic gives scalars)
    if grad.shape != like.shape:
        try:
            grad = unbroadcast(grad, like.shape)
        except ValueError:
            raise RuntimeError(
                f"backward of op '{name}' returned a gradient of shape {grad.shape} for an "
                f"input of shape {like.shape}; it must have the input's shape (or a shape "
                f"the input broadcasts to)") from None
    return grad if grad.dtype is like.dtype else grad.astype(like.dtype, copy=False)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast result's gradient back to the input's `shape`: broadcasting copied the
    input along the axes NumPy added in front and its axes of size 1; copies' gradients add."""
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"gradient of shape {grad.shape} cannot be reduced to shape {shape}")
    axes = broadcast_axes(grad.shape, shape)
    reduced = grad.sum(axis=axes, keepdims=True) if axes else grad
    if extra:
        reduced = reduced.reshape(reduced.shape[extra:])
    if reduced.shape != shape:
        raise ValueError(f"gradient of shape {grad.shape} cannot be reduced to shape {shape}")
    return reduced


def broadcast_axes(result: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of a `result` shape along which broadcasting copied an input of `shape`."""
    extra = len(result) - len(shape)  # (the axes added in front, then the input's 1s)
    return tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and result[extra + i] != 1)

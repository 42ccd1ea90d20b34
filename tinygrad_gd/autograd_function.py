"""PyTorch's `torch.autograd.function`, as `tg.autograd.function`: `once_differentiable`,
and `FunctionCtx`, the ctx methods of PyTorch's documents that every op has (`Function`
derives from it; the engine imports this module, which imports nothing of the package).

PyTorch's documents on writing your own `Function` ("Extending PyTorch") import
`once_differentiable` from here and decorate a backward with it, to declare that the
backward pass through the op cannot itself be differentiated: a pass with
`create_graph=True` gives the op's inputs its gradient's values, and a derivative through
them is refused in one line, as PyTorch's. (Without it, a user's op is differentiated
twice through its `backward_graph`, or else its own backward run on tensors:
higher_order.py.) The class to subclass is `tg.autograd.Function` (`tg.Function`,
engine.py).
"""
from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable, TypeVar

import numpy as np

__all__ = ["once_differentiable", "FunctionCtx", "AccumulateGrad", "OpName"]

_Backward = TypeVar("_Backward", bound=Callable)


def once_differentiable(fn: _Backward) -> _Backward:
    """Declare a `Function`'s backward not differentiable again (PyTorch's decorator): a
    derivative through the gradient it gives with `create_graph=True` is refused in one
    line, as PyTorch's is; a first-order backward runs as before. `fn` itself is
    returned, marked (a function around it where it takes no mark: a bound method). Put
    it under `@staticmethod`, as PyTorch's documents do, above it, or use it alone."""
    if not callable(fn):
        raise TypeError(f"once_differentiable: expected a backward function to decorate, got "
                        f"{type(fn).__name__} {fn!r:.60}")
    try:
        fn.once_differentiable = True
    except AttributeError:
        marked = functools.wraps(fn)(lambda *args, **kwargs: fn(*args, **kwargs))
        marked.once_differentiable = True
        return marked  # type: ignore[return-value]
    return fn


def _note_kept_outputs(ctx: Any, outputs: tuple) -> None:
    """Note which of forward's `outputs` ctx keeps (saved, or as an attribute), by their
    positions: a backward run on tensors (higher_order.py) is given those outputs as the
    tensors they became, their graphs kept."""
    held = [*_saved(ctx), *vars(ctx).values()]
    held += [item for value in held if isinstance(value, (tuple, list)) for item in value]
    ctx.kept_outputs = tuple((output, k) for k, output in enumerate(outputs)
                             if any(output is value for value in held))


def _saved(ctx: Any) -> tuple:
    """What save_for_backward kept: a tuple, or () where forward set ctx.saved_tensors
    itself (refused as soon as forward returns: op_errors._check_attributes)."""
    saved = ctx.saved_tensors
    return saved if isinstance(saved, tuple) else ()


def _note_unsaveable(ctx: Any) -> None:
    """Note as ctx.unsaveable (position, count, value) the first value a user's op saved
    with save_for_backward that is no array (nor NumPy scalar, tensor, None): a number, a
    string. PyTorch refuses it only in a node that is recorded (grad mode on, an input
    needing a gradient), so `_apply_user_op` refuses it once it knows the node is."""
    saved = _saved(ctx)
    for k, value in enumerate(saved):
        if value is not None and not hasattr(value, "__array__"):
            ctx.unsaveable = (k, len(saved), value)
            return


class OpName(str):
    """An op's name: a string (`node.name`, what the diagrams and errors read) that is also
    PyTorch's method, `y.grad_fn.name()`."""

    __slots__ = ()
    forward_takes_ctx = True  # (Python counts it among forward's arguments: op_errors.py)

    def __call__(self) -> str:
        return str(self)
    __call__.__qualname__ = "name"  # (y.grad_fn.name(1): what Python's count names)


class _NameOfOpWithSetupContext(OpName):
    """The name of a user's op in PyTorch 2's style, whose forward takes the inputs only
    (setup_context takes the ctx): Python's count of forward's arguments is the user's."""

    __slots__ = ()
    forward_takes_ctx = False


class FunctionCtx:
    """PyTorch's ctx methods beyond `save_for_backward` (the node is its own ctx). A
    `setup_context(ctx, inputs, output)` staticmethod, PyTorch 2's style, takes the ctx
    out of forward: `forward(*inputs)` then runs first, and setup_context saves what
    backward needs (`save_for_forward`: what a `jvp` staticmethod needs). A user's op
    may be given None for an optional input (PyTorch's `LinearFunction.apply(x, w, None)`)
    and return several outputs: `_apply_user_op`; one that defines its own `apply` gets a
    backward refusing None as those do (`_refusing_none`)."""

    __slots__ = ()  # (Function's own slots and __dict__ hold a node's state)
    setup_context: Any = None  # an op's own: PyTorch 2's style of forward

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith(_PACKAGE):
            return
        if inspect.isfunction(cls.__dict__.get("call")):  # (x.method() would pass x as cls)
            raise TypeError(f"class {cls.__name__}(Function): call must be a classmethod, as "
                            f"Function's is; add @classmethod above def call(cls, ...)")
        if "apply" not in cls.__dict__:
            cls.apply = classmethod(_apply_user_op)  # (a user's op: PyTorch's rules)
        else:  # (its own apply runs the engine's: no _recorded backward to refuse a None)
            _refusing_none(cls)

    @property
    def next_functions(self) -> tuple:
        """PyTorch's walk back from a node (`loss.grad_fn.next_functions[0][0]`): one
        `(node, 0)` per input, the node that made it, an `AccumulateGrad` for a leaf that
        needs a gradient, None for a constant."""
        return tuple((None if p._ctx is None and not p._requires_grad else
                      p._ctx or AccumulateGrad(p), 0) for p in self.parents)

    def set_materialize_grads(self, value: bool) -> None:
        """PyTorch's switch for handing backward None for an unused output's gradient: here
        backward runs only when a gradient reached the op, and an unused output of several
        gets zeros, True or False (PyTorch's False hands it None: the same gradients)."""
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{self.name}: set_materialize_grads expects True or False, got "
                            f"{type(value).__name__} {value!r:.40}")

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Make outputs constants (no gradient flows back through them), as PyTorch's for
        an output such as an index; call it in forward with them. An op whose every output
        is marked is not recorded, as though no input needed a gradient; of several
        outputs, the others keep theirs."""
        self.non_differentiable = outputs
        self.needs_input_grad = self.needs_when_marked = (False,) * len(self.needs_input_grad)

    def save_for_forward(self, *tensors: Any) -> None:
        """PyTorch's: keep inputs or outputs for the op's `jvp` (forward mode), which reads
        them as `ctx.saved_tensors` (backward still reads what `save_for_backward` kept)."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *inputs: Any) -> None:
        """PyTorch's mark for inputs forward changed in place: refused, since forward gets
        read-only arrays here (the caller's values)."""
        raise RuntimeError(f"{self.name}: mark_dirty: forward gets read-only arrays (the "
                           f"caller's values) and cannot change an input in place; return a "
                           f"new array")


_PACKAGE = __name__.rpartition(".")[0] + "."  # "tinygrad_gd."
_user_ops: dict = {}  # (a user's op, positions given as they are) -> the op the graph records
_outputs = threading.local()  # .parts: what the last user's op returned, in this thread


def _apply_user_op(cls: Any, *inputs: Any, **params: Any) -> Any:
    """A user's op's apply, as PyTorch's: None given for an input (an optional one not
    given: `bias=None`) reaches forward as None and its gradient is dropped, and forward
    may return several arrays (a tuple of tensors back). An argument that is no Tensor or
    float array (a number, `dim`, a string, an index array) reaches forward (and
    setup_context) as given, as PyTorch's non-tensor arguments do and its integer tensors
    keep their dtype; backward owes it a gradient (None), as PyTorch's, where only Nones
    were given one per tensor is enough. The graph records `recorded(cls, given)`, an op of
    the user's class on the other inputs with one output: the arrays end to end, which the
    tensors returned are parts of."""
    given = tuple(k for k, x in enumerate(inputs) if x is None or _as_is(x))
    recorded = _user_ops.get((cls, given))
    if recorded is None:  # (once per op and pattern of those: the engine's apply found)
        plain = next(k.__dict__["apply"].__func__ for k in cls.__mro__ if "apply" in
                     k.__dict__ and k.__dict__["apply"].__func__ is not _apply_user_op)
        recorded = _user_ops[cls, given] = _recorded(cls, given, plain)
    _outputs.parts = None
    if any(inputs[k] is not None for k in given):  # (a keyword of the node: what runs the
        params["_given"] = tuple(inputs[k] for k in given)  # op again passes it too)
    joined = recorded.apply(*[x for k, x in enumerate(inputs) if k not in given], **params)
    parts, _outputs.parts = _outputs.parts, None
    if joined._ctx is not None and "unsaveable" in vars(joined._ctx):  # (recorded: refused)
        k, count, value = joined._ctx.unsaveable
        raise TypeError(f"{cls.name}: save_for_backward keeps arrays (or None), as PyTorch's "
                        f"keeps tensors, but argument {k + 1} of {count}, {value!r:.40}, is of "
                        f"type {type(value).__name__}; keep other values as attributes of ctx "
                        f"(ctx.scale = 3.0), as PyTorch's documents do")
    if parts is None:
        return joined
    joined.name = f"outputs of {cls.name}, end to end"
    outputs = []
    for k, (_, _, differentiable) in enumerate(parts):
        part = output_part(joined if differentiable else joined.detach(), parts, k)
        part.name = f"output {k} of {cls.name}"  # (what the diagrams call it)
        outputs.append(part)
    return tuple(outputs)


def _as_is(argument: Any) -> bool:
    """Whether a PyTorch 2 style op's argument reaches forward as given: what is no Tensor
    (nothing NumPy reads as an array) or an array of integers or booleans, which as an
    input would become a constant of the float tensors' dtype (an index array saved by an
    op, given to another in its backward, as PyTorch's NumpySort gives NumpyTake)."""
    if isinstance(argument, (np.ndarray, np.generic)):
        return argument.dtype.kind not in "fc"
    return not hasattr(argument, "__array__")


def output_part(joined: Any, parts: list, k: int) -> Any:
    """Output k of a user's op whose several outputs lie end to end in the tensor `joined`
    (`parts`: each one's shape and dtype first): its slice, in its shape and dtype."""
    start = sum(int(np.prod(part[0])) for part in parts[:k])
    shape, dtype = parts[k][:2]
    part = joined[start:start + int(np.prod(shape))]
    part = part if part.shape == shape else part.reshape(shape)
    return part if part.dtype == dtype else part.to(dtype)


def _recorded(op: Any, absent: tuple, plain: Callable) -> Any:
    """`op` as the graph records it: its inputs but those at `absent`, which its forward
    and setup_context see as given to apply (None, a number) and backward's
    needs_input_grad as False; several outputs joined into one array, whose gradient
    backward gets split again (zeros for an unused output)."""
    def with_given(values: tuple, given: Any) -> list:
        """`values` with those at `absent` put back: `given` (what apply was given)."""
        full = list(values)
        for k, value in zip(absent, given):
            full.insert(k, value)
        return full
    unneeded, nones = (False,) * len(absent), (None,) * len(absent)

    def noted(ctx: Any, outputs: Any, needs: tuple) -> None:
        """Note which outputs ctx keeps, and of several outputs their shapes, dtypes and
        marks, on ctx and for apply."""
        if ctx.needs_input_grad is not vars(ctx).get("needs_when_marked", needs):
            ctx.needs_input_grad = None  # (forward set it: refused as it returns, op_errors)
            return None
        _note_unsaveable(ctx)
        if not isinstance(outputs, (tuple, list)):
            return _note_kept_outputs(ctx, (outputs,))
        marked = [any(a is m for m in getattr(ctx, "non_differentiable", ()))
                  for a in outputs]
        if not all(marked):
            ctx.needs_input_grad = needs  # (mark_non_differentiable marked some outputs)
        arrays = [np.asarray(a) for a in outputs]
        ctx.output_parts = [(a.shape, a.dtype) for a in arrays]
        _note_kept_outputs(ctx, tuple(outputs))
        _outputs.parts = [(a.shape, a.dtype, not m and a.dtype.kind in "fc")  # (integers,
                          for a, m in zip(arrays, marked)]  # as PyTorch's: no gradient)

    def joined(outputs: Any) -> Any:
        if not isinstance(outputs, (tuple, list)):
            return outputs
        return np.concatenate([np.asarray(a).reshape(-1) for a in outputs]) if outputs \
            else np.zeros(0)

    def forward(*args: Any, _given: tuple = nones, **params: Any) -> Any:
        if op.setup_context is not None:  # (PyTorch 2's style: forward without the ctx)
            _outputs.pending = op.forward(*with_given(args, _given), **params)
            _outputs.given = _given  # (for setup_context, which the engine calls next)
            return joined(_outputs.pending)
        ctx, arrays = args[0], args[1:]
        ctx.needs_input_grad = needs = tuple(with_given(ctx.needs_input_grad, unneeded))
        outputs = op.forward(ctx, *with_given(arrays, _given), **params)
        noted(ctx, outputs, needs)
        return joined(outputs)

    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        ctx.needs_input_grad = needs = tuple(with_given(ctx.needs_input_grad, unneeded))
        outputs, _outputs.pending = _outputs.pending, None  # (what forward returned)
        op.setup_context(ctx, tuple(with_given(inputs, _outputs.given)), outputs)
        noted(ctx, outputs, needs)

    def backward(ctx: Any, grad: Any) -> Any:
        parts = getattr(ctx, "output_parts", None)
        if parts is None:
            sent = op.backward(ctx, grad)
        else:
            ends = np.cumsum([0] + [int(np.prod(shape)) for shape, _ in parts])
            grads = [grad[start:end].reshape(shape)  # (an array, or a Tensor: higher_order)
                     for start, end, (shape, _) in zip(ends, ends[1:], parts)]
            try:
                inspect.signature(op.backward).bind(ctx, *grads)
            except TypeError:
                raise TypeError(f"{op.name}: forward returned {len(parts)} outputs, so "
                                f"backward gets {len(parts)} gradients, one per output: "
                                f"define backward(ctx, grad_0, ..., grad_{len(parts) - 1}), "
                                f"as PyTorch's") from None
            sent = op.backward(ctx, *grads)
        if not isinstance(sent, (tuple, list)):
            sent = (sent,) if sent is not None else _no_gradient(op.name, ctx)
        if not absent or len(sent) != len(ctx.needs_input_grad) and "_given" not in vars(
                ctx).get("params", {}):  # (only Nones given: one per tensor is enough)
            return sent  # (a wrong count: said by the engine, as for any op)
        sent = gradients_for(op.name, sent, len(ctx.needs_input_grad))  # (a number given:
        for k, value in zip(absent, vars(ctx).get("params", {}).get("_given", ())):  # None)
            if value is not None and sent[k] is not None:  # (as PyTorch refuses it)
                raise RuntimeError(f"backward of op '{op.name}' returned a gradient for "
                                   f"argument {k}, {type(value).__name__} {value!r:.30}, which "
                                   f"is no tensor and has none; return None in its place")
        return tuple(g for k, g in enumerate(sent) if k not in absent)

    def jvp(ctx: Any, *tangents: Any) -> Any:  # (forward_ad.py calls it, on arrays)
        kept = vars(ctx).get("saved_for_forward")
        if kept is None:
            return op.jvp(ctx, *tangents)
        saved, ctx.saved_tensors = ctx.saved_tensors, kept  # (what save_for_forward kept)
        try:
            return op.jvp(ctx, *tangents)
        finally:
            ctx.saved_tensors = saved
    backward.once_differentiable = any(getattr(method, "once_differentiable", False) for method
                                       in (op.backward, inspect.getattr_static(op, "backward")))
    body = {"__module__": op.__module__, "__doc__": op.__doc__, "apply": classmethod(plain),
            "forward": staticmethod(forward), "backward": staticmethod(backward)}
    if op.setup_context is not None:
        body["setup_context"] = staticmethod(setup_context)
    if getattr(op, "jvp", None) is not None:
        body["jvp"] = staticmethod(jvp)
    recorded = type(op.__name__, (op,), body, register=False, name=op.name,
                    elementwise=op.elementwise)
    if op.setup_context is not None:
        recorded.name = _NameOfOpWithSetupContext(op.name)
    return recorded


def _no_gradient(name: str, ctx: Any) -> tuple:
    """A user's op's backward that returned None: for inputs that need no gradient, None
    for each; refused where one needs it (the gradient would be lost unseen)."""
    needs = tuple(ctx.needs_input_grad)
    if True not in needs:
        return (None,) * len(needs)
    raise TypeError(f"{name}: backward returned None, but input {needs.index(True)} needs a "
                    f"gradient; return it (a missing return?), or a tuple with None for "
                    f"each input that needs none")


def _refusing_none(cls: Any) -> None:
    """Give a user's op that defines its own `apply` (so the engine records the class
    itself) a backward that refuses None where an input needs a gradient, as
    `_apply_user_op`'s ops refuse it (`_no_gradient`), instead of losing the gradient."""
    backward = inspect.getattr_static(cls, "backward", None)
    function = backward.__func__ if isinstance(backward, staticmethod) else backward
    if not inspect.isfunction(function) or getattr(function, "refuses_none", False):
        return  # (a classmethod or a callable object: called as it is)

    @functools.wraps(function)  # (its name, signature and @once_differentiable mark kept)
    def checked(ctx: Any, *grads: Any) -> Any:
        sent = function(ctx, *grads)
        return _no_gradient(ctx.name, ctx) if sent is None else sent
    checked.refuses_none = True  # type: ignore[attr-defined]
    cls.backward = staticmethod(checked)


class AccumulateGrad:
    """What `next_functions` gives for a leaf that needs a gradient (PyTorch's node that
    adds into `.grad`): `.variable` is the leaf."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def __repr__(self) -> str:
        return f"<AccumulateGrad of a leaf of shape {tuple(self.variable.shape)}>"


def gradients_for(name: str, grads: Any, count: int) -> tuple:
    """What an op's backward returned, as one gradient per input (a tuple, or one array
    for a one-input op); more past the inputs only when None, as PyTorch allows for a
    forward's optional arguments not given."""
    if count == 1 and grads.__class__ is np.ndarray:  # (fast path: a one-input op's array,
        return (grads,)  # met once per such node in a pass)
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) == count:  # (every op's case: answered first, as it runs once per node)
        return grads
    if len(grads) < count or any(g is not None for g in grads[count:]):
        raise RuntimeError(f"backward of op '{name}' returned {len(grads)} gradients for "
                           f"{count} inputs (a number given to apply counts too: return None "
                           f"for it, as PyTorch's, or pass it as a keyword, p=3)")
    return tuple(grads[:count])

"""The Tensor, the Function an op is written as, and the one generic backward pass.

A `Tensor` wraps a NumPy array. Every op applied to a tensor that needs a gradient
records a `Function` instance: the graph node, holding the op's inputs and what its
backward step needs. `Tensor.backward()` walks that graph once (iteratively, no
recursion), calling each node's vector-Jacobian product in reverse topological order:
latest-recorded node first, since a node is always recorded after its inputs.
The engine knows no particular op: the ops themselves live in `ops.py`.

Also here: grad mode (`no_grad`, `enable_grad`), anomaly mode (`detect_anomaly`) and the
op registry (`registered_ops`).
"""
from __future__ import annotations

import functools
import itertools
import threading
import traceback
from heapq import heappop, heappush
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .tracked import TrackedArray, count_write, tracked_view, writes as _writes

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "AnomalyError", "registered_ops", "scope", "unbroadcast", "iter_graph",
]

# ---------------------------------------------------------------------------------------
# Grad mode and anomaly mode: thread-local, so two threads training do not disturb each other.


class _ModeState(threading.local):
    grad_enabled: bool = True
    anomaly: bool = False
    scope: tuple = ()  # the modules whose forward is running, outermost first
    scope_calls: tuple = ()  # a number per running call: two calls of one module differ
    # True while grad_enabled, anomaly and scope are at their defaults: an op then records
    # its node with nothing else to do, reading this one flag instead of three (apply runs
    # once per op). Each mode's `with` block sets it on entry, restores it on exit.
    plain: bool = True


_mode = _ModeState()


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default); False inside `no_grad()`."""
    return _mode.grad_enabled


class _GradMode:
    """Sets grad mode for a `with` block, or for every call of a decorated function."""

    enabled: bool

    def __enter__(self) -> None:
        mode = _mode
        self._previous = (mode.grad_enabled, mode.plain)
        mode.grad_enabled = self.enabled
        mode.plain = self.enabled and not mode.anomaly and not mode.scope

    def __exit__(self, *exc: object) -> None:
        _mode.grad_enabled, _mode.plain = self._previous

    def __call__(self, fn: Callable) -> Callable:
        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record nothing: ops inside compute values only (evaluation, weight updates).

    Use as `with tg.no_grad(): ...` or as a decorator `@tg.no_grad()`.
    """

    enabled = False


class enable_grad(_GradMode):
    """Record the graph again inside a `no_grad()` block."""

    enabled = True


class AnomalyError(FloatingPointError):
    """Raised under `detect_anomaly()` by the first op that produces NaN or Inf.

    `.node` is the op (graph node), `.inputs` its input tensors and `.phase` "forward"
    or "backward": `tg.draw_anomaly(error)` draws the graph with the culprit marked.
    """

    def __init__(self, message: str, node: "Function | None" = None,
                 inputs: Sequence["Tensor"] = (), phase: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.inputs = tuple(inputs)
        self.phase = phase


class detect_anomaly:
    """Within this block the first op whose forward or backward produces NaN or Inf raises.

    The error names the op and the line of user code that created it. Ops recorded in
    the block also keep a copy of what they saved for backward, and `backward()` refuses
    a graph whose saved values changed by any route, even writes the version counter
    cannot see (through `np.asarray(t.data)`, `t.data.view(np.ndarray)` or an array
    that shares the memory; outside the block every write through `t.data`, `t[...] = v`,
    assigning `.data` and optimizer steps are caught). Checking every result costs time
    and memory: use it to debug, not to train.
    """

    def __enter__(self) -> "detect_anomaly":
        self._previous = (_mode.anomaly, _mode.plain)
        _mode.anomaly, _mode.plain = True, False
        return self

    def __exit__(self, *exc: object) -> None:
        _mode.anomaly, _mode.plain = self._previous


_call_numbers = itertools.count()


class scope:
    """Tag the graph nodes recorded inside this block with `owner` (an nn.Module call).

    Nodes keep the tuple of enclosing owners in `node.scope`, outermost first, and a
    number per call in `node.scope_calls`, so the graph renderer can fold each module
    call's internals into one box.
    """

    def __init__(self, owner: Any) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        mode = _mode
        self._previous = (mode.scope, mode.scope_calls, mode.plain)
        mode.scope = mode.scope + (self.owner,)
        mode.scope_calls = mode.scope_calls + (next(_call_numbers),)
        mode.plain = False

    def __exit__(self, *exc: object) -> None:
        _mode.scope, _mode.scope_calls, _mode.plain = self._previous


def _user_frame() -> str:
    """The innermost stack frame outside this package: where the user called the op."""
    package_dir = __file__.rsplit("/", 1)[0]
    for frame in reversed(traceback.extract_stack()):
        if not frame.filename.startswith(package_dir):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown>"


def _check_finite(array: np.ndarray, what: str, node: "Function",
                  inputs: Sequence["Tensor"]) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "Inf"
        raise AnomalyError(
            f"detect_anomaly: {what} of op '{node.name}' produced {bad} "
            f"(output shape {array.shape}). The op was created at: {node.created_at}",
            node=node, inputs=inputs, phase=what)


# ---------------------------------------------------------------------------------------
# Function: one op, its forward on arrays and its vector-Jacobian product.

_registry: dict[str, type["Function"]] = {}


def registered_ops() -> dict[str, type["Function"]]:
    """Every registered differentiable op by name: built-in ones and users' own."""
    return dict(_registry)


class Function:
    """Base class of every op. Subclass it to define your own (PyTorch's autograd idiom).

    `forward(ctx, *arrays, **params)` gets the inputs' NumPy arrays and returns the output
    array; it keeps what backward needs with `ctx.save_for_backward(...)`.
    `backward(ctx, grad)` gets the gradient of the output (an array of the output's shape)
    and returns one gradient per input (a tuple, or a single array for a one-input op;
    None where an input needs none). A gradient of a broadcast input may keep the
    broadcast shape: the engine sums it back to the input's shape.

    Subclassing registers the op under its `name` (default: the class name in lower
    case, or `class MyOp(Function, name="my_op")`); pass `register=False` in the class
    statement for a throwaway op. Call it as
    `MyOp.apply(x, y, param=...)`: positional arguments are the inputs (Tensors or array
    likes), keywords are non-differentiable parameters.

    Set the class attribute `fresh_grads = True` when every array `backward` returns is
    new and referenced by nothing else (not `grad`, not a saved array, not another
    returned gradient, as `g * y` is): the engine then keeps it as a leaf's `.grad`
    without copying it. Leave it False (the default) when in doubt: a wrong promise lets
    one tensor's `.grad` change another's.
    """

    __slots__ = ("parents", "saved_tensors", "needs_input_grad", "input_versions", "writes",
                 "sequence", "__dict__")

    name: str = "function"
    # True for an op whose backward returns only new arrays, each referenced by nothing
    # else (not `grad`, not a saved array, not another returned gradient). The engine then
    # keeps such an array as a leaf's `.grad` as it is, and adds into it in place, instead
    # of copying it: for a large layer that copy costs as much as an elementwise op.
    fresh_grads: bool = False
    # Set on a node only when they differ from these defaults, so recording stays cheap.
    created_at: str | None = None  # the user's line, under detect_anomaly()
    saved_snapshots: tuple | None = None  # copies of the saved arrays, under detect_anomaly()
    output_version: list | None = None  # the output's version counter, when backward reads it
    scope: tuple = ()  # the modules whose forward recorded the node, outermost first
    scope_calls: tuple = ()  # a number per module call: two calls of one module differ

    def __init_subclass__(cls, register: bool = True, name: str | None = None,
                          **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.name = name
        elif "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()
        if register:
            _registry[cls.name] = cls

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
    def apply(cls, *inputs: Any, **params: Any) -> "Tensor":
        # This runs once per op, so it is written for speed: a tiny network pays it per node.
        # The one- and two-input cases are spelled out; they avoid comprehensions and `**`.
        for x in inputs:
            if not isinstance(x, Tensor):
                inputs = tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
                break
        ctx = cls.__new__(cls)
        ctx.saved_tensors = ()
        mode = _mode
        if mode.plain:
            anomaly, record = False, True
        else:
            anomaly, record = mode.anomaly, mode.grad_enabled
            if anomaly:
                ctx.created_at = _user_frame()
            if mode.scope:
                ctx.scope = mode.scope
                ctx.scope_calls = mode.scope_calls
        forward = cls.forward
        count = len(inputs)
        try:
            if count == 2:
                first, second = inputs
                # (truth values, not indices: a requires_grad set by hand may be any object)
                needs = _NEEDS[1 if first.requires_grad else 0][1 if second.requires_grad else 0]
                ctx.needs_input_grad = needs
                out = (forward(ctx, first._data, second._data, **params) if params
                       else forward(ctx, first._data, second._data))
            elif count == 1:
                first = inputs[0]
                needs = _NEEDS[1 if first.requires_grad else 0][2]
                ctx.needs_input_grad = needs
                out = forward(ctx, first._data, **params) if params else forward(ctx, first._data)
            else:
                needs = tuple([bool(t.requires_grad) for t in inputs])
                ctx.needs_input_grad = needs
                out = forward(ctx, *[t._data for t in inputs], **params)
        except ValueError as err:
            raise _op_error(cls.name, inputs, err) from None
        except MemoryError as err:
            shapes = ", ".join(str(t.shape) for t in inputs)
            raise MemoryError(f"{cls.name}: not enough memory for the result of inputs of shapes "
                              f"{shapes} ({err}); use smaller batches or check the shapes "
                              f"(an unintended broadcast?)") from None
        if out.__class__ is not np.ndarray:
            out = np.asarray(out)  # NumPy returns scalars from 0-d arithmetic
        if anomaly:
            _check_finite(out, "forward", ctx, inputs)
        if True in needs and record:
            ctx.parents = inputs
            ctx.sequence = next(_sequence)  # recording order: backward's topological order
            if anomaly and ctx.saved_tensors:
                ctx.saved_snapshots = tuple([a.tobytes() if isinstance(a, np.ndarray) else None
                                             for a in ctx.saved_tensors])
            if not ctx.saved_tensors:
                ctx.input_versions = ()  # nothing saved: nothing an in-place change can spoil
            else:
                ctx.writes = _writes[0]  # unchanged at backward: no version can have moved
                if count == 2:
                    v1, v2 = first._version, second._version
                    ctx.input_versions = _UNCHANGED[2] if v1 is None and v2 is None else (
                        0 if v1 is None else v1[0], 0 if v2 is None else v2[0])
                elif count == 1:
                    v1 = first._version
                    ctx.input_versions = _UNCHANGED[1] if v1 is None else (v1[0],)
                else:
                    ctx.input_versions = tuple([0 if t._version is None else t._version[0]
                                                for t in inputs])
            result = _result(out, ctx)
            for array in ctx.saved_tensors:
                if array is out:  # backward reads the output too: its changes are counted
                    result._version = ctx.output_version = [0]
                    break
        else:
            result = _result(out, None)
        if out.base is not None:  # a view (transpose, reshape, ...) shares its input's counter
            _share_version(result, inputs)
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__} node '{self.name}'>"


# ---------------------------------------------------------------------------------------
# Helpers shared by the engine and the ops.


def _op_error(name: str, inputs: Sequence["Tensor"], err: ValueError) -> ValueError:
    """NumPy's error from inside an op, restated with the op's name and input shapes."""
    text = str(err)
    if text.startswith(name + ":"):
        return err  # the op wrote its own message
    shapes = ", ".join(str(t.shape) for t in inputs)
    if "broadcast" in text:
        return ValueError(f"{name}: shapes {shapes} do not broadcast together (NumPy's rule: "
                          f"compared from the last axis, each pair of sizes must be equal or "
                          f"one of them 1); reshape or transpose an operand")
    return ValueError(f"{name}: invalid inputs of shapes {shapes}: {text}")


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient of a broadcast result back to the shape of the input it came from."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"gradient of shape {grad.shape} cannot be reduced to shape {shape}")
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    reduced = grad.sum(axis=axes, keepdims=True) if axes else grad
    if extra:
        reduced = reduced.reshape(reduced.shape[extra:])
    if reduced.shape != shape:
        raise ValueError(f"gradient of shape {grad.shape} cannot be reduced to shape {shape}")
    return reduced


def _describe(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_array(data: Any, dtype: Any, where: str, copy: bool = True) -> np.ndarray:
    """Turn user data into a numeric ndarray, with a clear error for what cannot be one.

    A copy, as torch.tensor makes, unless `copy=False` (an array nobody else holds): an
    array the caller keeps could otherwise change values a graph saved, unseen."""
    if isinstance(data, Tensor):
        data = data._data
    try:
        convert = np.array if copy else np.asarray
        array = convert(data) if dtype is None else convert(data, dtype=dtype)
    except ValueError as err:
        if "inhomogeneous" in str(err) or "sequence" in str(err):
            raise ValueError(
                f"{where}: the data is a ragged nested list (rows of different lengths), "
                f"got {_describe(data)}; give rows of equal length") from None
        raise ValueError(f"{where}: cannot convert {_describe(data)} to a numeric array "
                         f"with dtype {dtype}: {err}") from None
    except TypeError as err:
        raise TypeError(f"{where}: cannot convert {_describe(data)} to an array of dtype "
                        f"{dtype}: {err}") from None
    kind = array.dtype.kind
    if kind == "c":
        raise TypeError(f"{where}: complex data is not supported, got dtype {array.dtype}; "
                        f"pass the real part (x.real) or split real and imaginary parts")
    if kind not in "fiub":
        raise TypeError(f"{where}: expected numeric data (numbers, nested lists of numbers or "
                        f"a numeric ndarray), got dtype {array.dtype} from {_describe(data)}")
    if dtype is None and kind != "f":
        array = array.astype(np.float64)  # float64 by default: lists of ints, bools too
    return array


# ---------------------------------------------------------------------------------------
# Tensor


class Tensor:
    """An n-dimensional array that records the ops applied to it, for `backward()`.

    `Tensor(data, requires_grad=False, dtype=None, name=None)`: `data` is a number, a
    (nested) list or an ndarray. Lists and integer data become float64; a float ndarray
    keeps its dtype; `dtype=np.float32` (or "float32") asks for single precision.
    Integer dtypes are allowed, given explicitly, for data that needs no gradient
    (labels, indices).
    """

    __slots__ = ("_data", "_version", "grad", "requires_grad", "name", "_ctx", "_retains_grad",
                 "_hooks", "__weakref__")
    # NumPy defers to Tensor's reflected operators: `ndarray * Tensor` gives a Tensor.
    __array_ufunc__ = None
    __hash__ = object.__hash__  # == compares elementwise, yet tensors stay usable as keys

    grad: "Tensor | None"
    requires_grad: bool
    name: str | None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        self._data = _as_array(data, dtype, "Tensor()")
        # The count of in-place changes: None until first needed (a change, `.data`, a view
        # or detach() sharing it: _version_counter), then a list, [n], which those share.
        self._version: list[int] | None = None
        self.grad = None
        self.name = name
        self._ctx = None
        self._retains_grad = False
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- properties ----------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values: an ndarray view of them (a `TrackedArray`) whose writes are counted.

        Writing through it (`t.data[0] = 1`, `w.data -= lr * w.grad.data`) or assigning it
        (`w.data = ...`, which copies the new values in) counts as an in-place change: a
        graph that saved the old values then refuses to backward, naming the tensor and
        the op, instead of computing a gradient from values its forward pass never saw.
        """
        return tracked_view(self._data, self._version_counter())

    @data.setter
    def data(self, value: Any) -> None:
        if value.__class__ is not TrackedArray or value._source is not self._data:
            # a copy: an array the caller keeps could otherwise change the values unseen
            self._data = np.array(value)
        # (else `t.data -= x`: the values were written in place, through the view)
        self._mark_changed()

    def _mark_changed(self) -> None:
        """Count an in-place change of the values: graphs that saved them refuse to backward."""
        count_write(self._version_counter())

    def _version_counter(self) -> list[int]:
        """The version counter, made when first needed (most tensors never need one)."""
        if self._version is None:
            self._version = [0]
        return self._version

    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each axis, as NumPy's `ndarray.shape`."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the values (float64 unless asked otherwise)."""
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (inputs, parameters)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The graph node (op) that made this tensor; None for a leaf."""
        return self._ctx

    @property
    def T(self) -> "Tensor":  # noqa: N802
        """The tensor with its axes reversed (a recorded transpose)."""
        return self.transpose()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # np.asarray(t) is for reading: a read-only view, so that a write through it fails
        # loudly instead of changing saved values unseen (write through t.data instead)
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        if copy:
            return self._data.copy()
        view = self._data.view()
        view.flags.writeable = False
        return view

    def numpy(self) -> np.ndarray:
        """The values as an ndarray, shared, not copied: `t.data`, writes through it counted."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted to a "
                             f"Python number, got shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             f"use (t > 0).any() or .all()")
        return bool(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = []
        if self._data.dtype != np.float64:
            extras.append(f"dtype={self._data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body] + extras) + ")"

    # -- autograd state ------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Ask (or stop asking) for this leaf's gradient; returns self."""
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating-point tensors can require a "
                            f"gradient, got dtype {self._data.dtype}; create it with "
                            f"dtype=np.float64 (the default for lists) or np.float32")
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) on a tensor made by an op: use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Keep this non-leaf tensor's gradient in `.grad` after backward (e.g. pred.grad)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require a gradient")
        self._retains_grad = True
        return self

    def register_hook(self, hook: Callable[["Tensor"], Any]) -> Callable[[], None]:
        """Call `hook(grad)` when this tensor's gradient is computed, before it is used.

        The hook may return a replacement gradient (a Tensor or array of the same shape)
        or None to keep it; it must not modify the gradient in place. Returns a function
        that removes the hook. (PyTorch's Tensor.register_hook.)
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook() on a tensor that does not require a gradient")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)

        def remove() -> None:
            if self._hooks and hook in self._hooks:
                self._hooks.remove(hook)
        return remove

    def draw(self, **options: Any) -> Any:
        """Draw the graph that made this tensor: `tg.draw_graph(self, **options)`."""
        from .graph import draw_graph  # graph.py imports this module
        return draw_graph(self, **options)

    def detach(self) -> "Tensor":
        """The same data (shared) cut from the graph: needs no gradient."""
        detached = _result(self._data, None)
        detached.name = self.name
        # the same memory: a change to one is a change to both
        detached._version = self._version_counter()
        return detached

    # -- the engine ----------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Gradients of this tensor with respect to every leaf that requires one.

        One pass over the graph in reverse topological order; each leaf's gradient is
        added to its `.grad` (they accumulate across calls: call `zero_grad()` between
        steps). `gradient` is the gradient of some scalar with respect to this tensor:
        needed when this tensor has more than one element. The graph's saved arrays are
        freed afterwards unless `retain_graph=True`.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require a gradient and has no graph; "
                "create the leaves with requires_grad=True, and do not call backward on a "
                "result computed under no_grad() or from detach()ed tensors")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward(): the tensor has shape {self.shape}, so a gradient must be "
                    f"given: backward(gradient) with an array of shape {self.shape} (or reduce "
                    f"it to a scalar first, e.g. loss.sum().backward())")
            seed = np.array(1, dtype=self._data.dtype)  # np.ones(()) costs five times more
            if self._data.ndim:
                seed = seed.reshape(self._data.shape)
        else:
            seed = _as_array(gradient, None, "backward(gradient)")
            if seed.shape != self.shape:
                raise ValueError(f"backward(): gradient has shape {seed.shape} but the tensor "
                                 f"has shape {self.shape}; they must be equal")
            seed = seed.astype(self._data.dtype, copy=False)

        # Reverse topological order without a counting pass: a node is always recorded
        # after its inputs, so taking the latest recorded node first (a heap on the
        # sequence numbers) reaches each node only after every consumer of it that the
        # output depends on has sent its gradient. Leaves come last, once their sums are
        # complete. (Tensors are dict keys: hashed by identity, never compared by value.)
        grads: dict[Tensor, Any] = {self: seed}
        owned: set[Tensor] = set()  # nodes whose pending gradient no one else references
        leaves: list[Tensor] = []
        heap: list[tuple[int, Tensor]] = []
        # In a chain each node discovers just one next node: it waits here, not in the
        # heap (only while the heap is empty, so it is still the latest-recorded one).
        single: Tensor | None = None
        if self._ctx is None:
            leaves.append(self)
        else:
            single = self
        anomaly = _mode.anomaly
        while True:
            if single is not None:
                node, single = single, None
            elif heap:
                node = heappop(heap)[1]
            else:
                break
            grad = grads.pop(node)
            if node._hooks:
                grad = _run_hooks(node, grad)
            ctx = node._ctx
            if node._retains_grad:
                _accumulate(node, grad)
            parents = ctx.parents
            saved = ctx.saved_tensors
            if saved:
                if ctx.writes != _writes[0]:  # some tensor was written since the node was made
                    _check_versions(ctx, parents)
                if ctx.saved_snapshots is not None:
                    _check_snapshots(ctx)
            elif saved is None:
                raise RuntimeError(
                    f"backward(): trying to backward through op '{ctx.name}' a second time, "
                    f"but its saved arrays were freed after the first backward(); pass "
                    f"retain_graph=True to the first backward() if you need to call it twice")
            parent_grads = type(ctx).backward(ctx, grad)  # works for @staticmethod too
            if parent_grads.__class__ is not tuple:
                parent_grads = (parent_grads,)
            if len(parent_grads) != len(parents):
                raise RuntimeError(f"backward of op '{ctx.name}' returned {len(parent_grads)} "
                                   f"gradients for {len(parents)} inputs")
            if not retain_graph:
                ctx.saved_tensors = None
                if saved and ctx.saved_snapshots is not None:
                    ctx.saved_snapshots = None
            fresh = ctx.fresh_grads
            for parent, pgrad in zip(parents, parent_grads):
                if pgrad is None or not parent.requires_grad:
                    continue
                data = parent._data
                if pgrad.__class__ is not np.ndarray:
                    pgrad = np.asarray(pgrad)  # NumPy returns scalars from 0-d arithmetic
                if pgrad.shape != data.shape or pgrad.dtype is not data.dtype:
                    pgrad = _fit_gradient(pgrad, parent, ctx)
                if anomaly:
                    _check_finite(pgrad, "backward", ctx, parents)
                earlier = grads.get(parent)
                if earlier is None:  # the first gradient to reach this node: schedule it
                    grads[parent] = pgrad
                    if fresh:
                        owned.add(parent)
                    if parent._ctx is None:
                        leaves.append(parent)
                    elif single is None and not heap:
                        single = parent
                    else:
                        if single is not None:
                            heappush(heap, (-single._ctx.sequence, single))
                            single = None
                        heappush(heap, (-parent._ctx.sequence, parent))
                elif parent in owned:
                    np.add(earlier, pgrad, out=earlier)  # ours alone: no new array
                else:
                    grads[parent] = _sum(earlier, pgrad)
                    owned.add(parent)
        for leaf in leaves:
            grad = grads.pop(leaf)
            if leaf._hooks:
                grad = _run_hooks(leaf, grad)
                owned.discard(leaf)  # a hook saw the array and may keep it
            _accumulate(leaf, grad, leaf in owned)

    # -- ops as operators and methods (each op itself lives in ops.py) --------------
    def __add__(self, other: Any) -> "Tensor":
        return _ops.Add.apply(self, self._operand(other))

    def __radd__(self, other: Any) -> "Tensor":
        return _ops.Add.apply(self._operand(other), self)

    def __sub__(self, other: Any) -> "Tensor":
        return _ops.Sub.apply(self, self._operand(other))

    def __rsub__(self, other: Any) -> "Tensor":
        return _ops.Sub.apply(self._operand(other), self)

    def __mul__(self, other: Any) -> "Tensor":
        return _ops.Mul.apply(self, self._operand(other))

    def __rmul__(self, other: Any) -> "Tensor":
        return _ops.Mul.apply(self._operand(other), self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _ops.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _ops.Div.apply(self._operand(other), self)

    def __pow__(self, exponent: Any) -> "Tensor":
        return _ops.Pow.apply(self, self._operand(exponent))

    def __rpow__(self, base: Any) -> "Tensor":
        return _ops.Pow.apply(self._operand(base), self)

    def __neg__(self) -> "Tensor":
        return _ops.Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __matmul__(self, other: Any) -> "Tensor":
        return _ops.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops.MatMul.apply(self._operand(other), self)

    def __abs__(self) -> "Tensor":
        return _ops.Abs.apply(self)

    # Comparisons give plain boolean arrays and record nothing.
    def __lt__(self, other: Any) -> np.ndarray:
        return self._data < _raw(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self._data <= _raw(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self._data > _raw(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self._data >= _raw(other)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self._data == _raw(other)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self._data != _raw(other)

    def matmul(self, other: Any) -> "Tensor":
        """Matrix product, `self @ other` (1-D, 2-D and batched, as NumPy's matmul)."""
        return self @ other

    def dot(self, other: Any) -> "Tensor":
        """Dot product of vectors, or matrix product for 1-D/2-D operands (NumPy's dot)."""
        other = self._operand(other)
        if self.ndim > 2 or other.ndim > 2:
            raise ValueError(f"dot: operands of shapes {self.shape} and {other.shape}; dot takes "
                             f"1-D or 2-D operands, use matmul (@) for batched products")
        return _ops.MatMul.apply(self, other)

    def exp(self) -> "Tensor":
        """Elementwise e**x."""
        return _ops.Exp.apply(self)

    def log(self) -> "Tensor":
        """Elementwise natural logarithm."""
        return _ops.Log.apply(self)

    def sqrt(self) -> "Tensor":
        """Elementwise square root."""
        return _ops.Sqrt.apply(self)

    def abs(self) -> "Tensor":
        """Elementwise absolute value (gradient 0 at 0)."""
        return _ops.Abs.apply(self)

    def tanh(self) -> "Tensor":
        """Elementwise hyperbolic tangent."""
        return _ops.Tanh.apply(self)

    def sigmoid(self) -> "Tensor":
        """Elementwise 1 / (1 + e**-x), computed without overflow for large |x|."""
        return _ops.Sigmoid.apply(self)

    def relu(self) -> "Tensor":
        """Elementwise max(x, 0) (gradient 0 at 0)."""
        return _ops.Relu.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        """x where x > 0, else negative_slope * x."""
        return _ops.LeakyRelu.apply(self, negative_slope=negative_slope)

    def clip(self, min: float | None = None, max: float | None = None) -> "Tensor":  # noqa: A002
        """Values limited to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise ValueError("clip: give min, max or both")
        return _ops.Clip.apply(self, min=min, max=max)

    def maximum(self, other: Any) -> "Tensor":
        """Elementwise maximum with `other` (broadcast); a tie splits the gradient evenly."""
        return _ops.Maximum.apply(self, self._operand(other))

    def minimum(self, other: Any) -> "Tensor":
        """Elementwise minimum with `other` (broadcast); a tie splits the gradient evenly."""
        return _ops.Minimum.apply(self, self._operand(other))

    def softmax(self, axis: int = -1) -> "Tensor":
        """exp(x) / sum(exp(x)) along `axis`, shifted by the maximum so it never overflows."""
        return _ops.Softmax.apply(self, axis=_check_axis("softmax", axis, self.ndim))

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """log(softmax(x)) along `axis`, by log-sum-exp: stable for any logits."""
        return _ops.LogSoftmax.apply(self, axis=_check_axis("log_softmax", axis, self.ndim))

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        """Sum over `axis` (None: all), as NumPy's sum."""
        return _ops.Sum.apply(self, axis=_check_axis("sum", axis, self.ndim), keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        """Mean over `axis` (None: all), as NumPy's mean."""
        return _ops.Mean.apply(self, axis=_check_axis("mean", axis, self.ndim), keepdims=keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        """Maximum over `axis`; tied maxima share the gradient evenly."""
        return _ops.Max.apply(self, axis=_check_axis("max", axis, self.ndim), keepdims=keepdims)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        """Minimum over `axis`; tied minima share the gradient evenly."""
        return _ops.Min.apply(self, axis=_check_axis("min", axis, self.ndim), keepdims=keepdims)

    def reshape(self, *shape: Any) -> "Tensor":
        """`t.reshape(2, 3)` or `t.reshape((2, 3))`, -1 inferring one size, as in NumPy."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=tuple(int(n) for n in shape))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge the axes start_dim..end_dim into one (PyTorch's flatten)."""
        if self.ndim == 0:
            return self.reshape(1)
        start = _check_axis("flatten", start_dim, self.ndim) % self.ndim
        end = _check_axis("flatten", end_dim, self.ndim) % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape)

    def transpose(self, *axes: Any) -> "Tensor":
        """Reverse the axes, or permute them as given (NumPy's transpose)."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        if axes and sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                             f"{self.ndim} axes of a tensor of shape {self.shape}")
        return _ops.Transpose.apply(self, axes=tuple(a % self.ndim for a in axes) or None)

    def broadcast_to(self, shape: Sequence[int]) -> "Tensor":
        """The tensor broadcast to `shape` (NumPy's rule); the gradient is summed back."""
        return _ops.BroadcastTo.apply(self, shape=tuple(shape))

    def expand(self, *shape: Any) -> "Tensor":
        """Broadcast to a larger shape (PyTorch's expand; -1 keeps a size)."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        lead = len(shape) - self.ndim
        full = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                     for i, n in enumerate(shape))
        return self.broadcast_to(full)

    def __setitem__(self, index: Any, value: Any) -> None:
        """Write values in place (`t[0] = 0.0`), as NumPy does; counted as an in-place change.

        A leaf that requires a gradient can be written only under `no_grad()` (a weight
        update); a tensor made by a recorded op cannot be written at all.
        """
        if self.requires_grad and is_grad_enabled() and self._ctx is None:
            raise RuntimeError(
                "setitem: writing into a leaf tensor that requires a gradient would not be "
                "recorded; do it under `with tg.no_grad():` (an update), or build a new tensor "
                "with tg.where(...) or tg.concatenate(...)")
        if self._ctx is not None:
            raise RuntimeError(
                f"setitem: this tensor was made by op '{self._ctx.name}' and is part of a graph; "
                f"in-place writes into it are not supported: build a new tensor with "
                f"tg.where(...) or tg.concatenate(...)")
        try:
            self._data[_raw_index(index)] = _raw(value)
        except (ValueError, IndexError, TypeError) as err:
            raise type(err)(f"setitem: cannot write {_describe(value)} at index {index!r} of a "
                            f"tensor of shape {self.shape}: {err}") from None
        self._mark_changed()

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops.GetItem.apply(self, index=_raw_index(index))

    # -- conversions used by the operators -----------------------------------------
    def _operand(self, other: Any) -> "Tensor":
        """A non-Tensor operand becomes a constant of this tensor's float dtype."""
        if isinstance(other, Tensor):
            return other
        dtype = self._data.dtype
        if other.__class__ in (float, int) and other and dtype.kind == "f":  # `x * 2`
            # (zero is left out: 0.0 == -0.0 would share one key, and the sign matters)
            of_dtype = _constants.get(dtype)
            if of_dtype is None:
                of_dtype = _constants[dtype] = {}
            constant = of_dtype.get(other)
            if constant is None:
                constant = np.array(other, dtype=dtype)
                constant.flags.writeable = False  # shared by every `x * 2`: never written
                if len(of_dtype) >= 256:
                    of_dtype.clear()  # bounded: a loop over many constants stays small
                of_dtype[other] = constant
            return _result(constant, None)
        return Tensor(other, dtype=dtype) if dtype.kind == "f" else Tensor(other)


# 0-d arrays of Python numbers: {dtype: {number: array}} (the number alone hashes fastest)
_constants: dict[np.dtype, dict[Any, np.ndarray]] = {}
_sequence = itertools.count()  # numbers recorded nodes in the order they are made

# Tuples every node would otherwise allocate: needs_input_grad of one input
# (_NEEDS[r][2]) or two (_NEEDS[r1][r2]), and the versions of inputs never changed.
_NEEDS = (((False, False), (False, True), (False,)), ((True, False), (True, True), (True,)))
_UNCHANGED = ((), (0,), (0, 0))


def _result(data: np.ndarray, ctx: Function | None) -> Tensor:
    """A Tensor around an op's output, without __init__'s checks (the data is an ndarray)."""
    result = Tensor.__new__(Tensor)
    result._data = data
    result._version = None
    result.grad = None
    result.name = None
    result._ctx = ctx
    result._retains_grad = False
    result._hooks = None
    result.requires_grad = ctx is not None
    return result


def _raw(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def _raw_index(index: Any) -> Any:
    """An index with any Tensors in it replaced by their (integer or boolean) arrays."""
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _check_axis(op: str, axis: Any, ndim: int) -> Any:
    """Validate an axis argument up front, so the error names the op, not NumPy's internals."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            valid = f"an axis in [{-ndim}, {ndim - 1}]" if ndim else "axis=None"
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} "
                             f"dimension(s); use {valid}")
    return int(axis) if isinstance(axis, (int, np.integer)) else tuple(int(a) for a in axes)


def _share_version(result: Tensor, inputs: tuple[Tensor, ...]) -> None:
    base = result._data.base
    for t in inputs:
        if base is t._data or base is t._data.base:
            result._version = t._version_counter()
            return


def _check_versions(ctx: Function, parents: tuple[Tensor, ...]) -> None:
    """An op that saved values for backward needs them unchanged since the forward pass:
    its inputs, and its output when it saved that too."""
    if ctx.output_version is not None and ctx.output_version[0]:
        raise RuntimeError(
            f"backward(): the output of op '{ctx.name}' was changed in place after the op "
            f"saved it for backward (written through its .data, or its .data assigned), so "
            f"the gradient would be computed from values the forward pass never made. Change "
            f"a copy instead (y.data.copy(), or y.detach() * 1), or run the forward pass again")
    for position, (parent, version) in enumerate(zip(parents, ctx.input_versions)):
        counter = parent._version  # None: never changed, so still version 0
        if counter is not None and counter[0] != version:
            name = f"'{parent.name}' " if parent.name else ""
            raise RuntimeError(
                f"backward(): input {position} {name}(shape {parent.shape}) of op '{ctx.name}' "
                f"was changed in place after the op used it (written through .data, e.g. "
                f"`w.data -= lr * w.grad.data` or `t.data[0] = 1`, .data assigned, written with "
                f"t[...] = ..., or an optimizer step), so the "
                f"gradient would be computed from values the forward pass never saw. Update "
                f"after backward() (optimizer.step() after loss.backward()), or run the forward "
                f"pass again after the change")


def _check_snapshots(ctx: Function) -> None:
    """Under detect_anomaly(): each saved array must hold the bytes it held in forward."""
    for position, (array, snapshot) in enumerate(zip(ctx.saved_tensors, ctx.saved_snapshots)):
        if snapshot is None or array.tobytes() == snapshot:
            continue
        owner = next((i for i, p in enumerate(ctx.parents)
                      if np.may_share_memory(p._data, array)), None)
        if owner is None:
            what = f"array {position} it saved (shape {array.shape})"
        else:
            parent = ctx.parents[owner]
            name = f"'{parent.name}' " if parent.name else ""
            what = f"input {owner} {name}(shape {parent.shape})"
        raise RuntimeError(
            f"backward(): {what} of op '{ctx.name}' was changed in place after the op used "
            f"it, by a write the version counter cannot see (through np.asarray(t.data), "
            f"t.data.view(np.ndarray) or another array sharing the memory); detect_anomaly() "
            f"compared the values. The op was created at: {ctx.created_at}. Change values "
            f"after backward(), and write through t.data itself (`t.data[...] = v`, "
            f"`w.data -= ...`) or t[...] = v, which are counted and caught without "
            f"detect_anomaly()")


def _run_hooks(node: Tensor, grad: np.ndarray) -> np.ndarray:
    for hook in list(node._hooks):
        replaced = hook(Tensor(grad))
        if replaced is not None:
            replaced = np.asarray(_raw(replaced), dtype=node._data.dtype)
            if replaced.shape != node._data.shape:
                raise RuntimeError(f"a gradient hook returned shape {replaced.shape} for a "
                                   f"tensor of shape {node._data.shape}; it must be the same")
            grad = replaced
    return grad


def _sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b as a new ndarray (NumPy returns a scalar for two 0-d arrays)."""
    total = a + b
    return total if total.__class__ is np.ndarray else np.asarray(total)


# Two threads' backward passes may reach one leaf (a shared weight): reading .grad and
# assigning the sum must not interleave, or one thread's gradient is lost (as PyTorch's
# AccumulateGrad, under a lock).
_grad_lock = threading.Lock()


def _accumulate(node: Tensor, grad: np.ndarray, owned: bool = False) -> None:
    with _grad_lock:
        if node.grad is None:
            # a copy unless the engine owns the array: ops may hand the same array to
            # several inputs, or a view of saved data, and a user may edit .grad in place
            # (the book zeroes one weight_delta)
            node.grad = _result(grad if owned else grad.copy(), None)
        else:
            # out of place: an array the user kept from an earlier .grad stays as it was
            node.grad = _result(_sum(node.grad._data, grad), None)


def _fit_gradient(grad: Any, parent: Tensor, ctx: Function) -> np.ndarray:
    """Bring an op's gradient to its input's shape and dtype, or say which op got it wrong."""
    if not isinstance(grad, np.ndarray):
        grad = np.asarray(_raw(grad))
    if grad.shape != parent._data.shape:
        try:
            grad = unbroadcast(grad, parent._data.shape)
        except ValueError:
            raise RuntimeError(
                f"backward of op '{ctx.name}' returned a gradient of shape {grad.shape} for an "
                f"input of shape {parent._data.shape}; it must have the input's shape (or a "
                f"shape that broadcasts to it)") from None
    if grad.dtype != parent._data.dtype:
        grad = grad.astype(parent._data.dtype)
    return grad if grad.__class__ is np.ndarray else np.asarray(grad)  # 0-d NumPy scalars


def iter_graph(output: Tensor) -> Iterator[Tensor]:
    """Every tensor of the graph that made `output`, each once, output first (no recursion)."""
    seen = {id(output)}
    stack = [output]
    while stack:
        node = stack.pop()
        yield node
        if node._ctx is not None:
            for parent in node._ctx.parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)


# The ops attach themselves to Tensor as methods and operators.
from . import ops as _ops  # noqa: E402,F401

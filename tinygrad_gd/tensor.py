"""The Tensor: an n-dimensional array that records the ops applied to it, for `backward()`.

This module holds what a tensor is apart from its ops: its values (how data becomes them
lives in values.py) and their in-place writes, its autograd state (`requires_grad`,
`.grad`, the node `_ctx` that made it), the conversions NumPy and Python ask for, and
`backward()`, which runs the engine's pass (hooks.py adds the gradients into `.grad`). Every op
(`x + y`, `x.sum()`, `x.relu()`) is a `Function` in `ops/` that registers itself as a
method here (see `_attach`).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from . import engine, grad_starts, hooks, values, versions  # noqa: F401  (versions: always on)
from .engine import Function, is_grad_enabled
from .errors import GradientDtypeError, ShapeError, user_stacklevel
from .grad_mode import check_flag
from .higher_order import seed_tensor
from .index_text import index_text
from .op_errors import calling
from .tracked import (TrackedArray, count_write, read_only_error, read_only_view, tracked_view,
                      values_read, writes)
from .values import _as_array, _constant, _describe, _fitted, python_floats

__all__ = ["Tensor"]

_NUMBERS = (int, float, np.integer, np.floating, np.bool_)  # one number (bool is an int)


class Tensor:
    """An n-dimensional array that records the ops applied to it, for `backward()`.

    `Tensor(data, requires_grad=False, dtype=None, name=None)`: `data` is a number, a
    (nested) list or an ndarray. Lists and integer data become float64; a float ndarray
    keeps its dtype; `dtype=np.float32` (or "float32") asks for single precision. Integer
    dtypes, given explicitly, are for data that needs no gradient (labels, indices)."""

    __slots__ = ("_data", "_version", "_grad", "_grad_at", "_requires_grad", "name", "_ctx",
                 "_made_by", "_made_in", "__weakref__")  # for the diagrams, on a constant:
    # the op that made it (_made_by), the module calls a function made it in (_made_in)
    __hash__ = object.__hash__  # == compares elementwise, yet tensors stay usable as keys
    register_post_accumulate_grad_hook = hooks.register_post_accumulate_grad_hook  # (hooks.py)

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if requires_grad.__class__ is not bool and not isinstance(requires_grad, np.bool_):
            raise TypeError(f"Tensor(): requires_grad must be True or False, got "
                            f"{type(requires_grad).__name__} {requires_grad!r:.40}; Tensor(data) "
                            f"takes values (PyTorch's Tensor(1, 5) of sizes: tg.zeros(1, 5))")
        self._data = _new_values(data, dtype, "Tensor()")
        self._version = None  # the time of its last in-place write: see _stamp
        self._grad, self.name, self._ctx, self._requires_grad = None, name, None, False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def from_op(cls, data: np.ndarray, node: Function | None) -> "Tensor":
        """A tensor around an op's output array (no checks, no copy), made by `node`."""
        result = cls.__new__(cls)
        result._data, result._version, result._grad, result.name = data, None, None, None
        result._ctx, result._requires_grad = node, node is not None
        return result

    @classmethod
    def operands(cls, inputs: tuple, op: str = "operand") -> tuple["Tensor", ...]:
        """An op's inputs as tensors: a number, list or array becomes a constant of the
        float dtype of the first tensor among them (`x * 2` keeps x's float32); with an
        integer tensor, a Python int takes its dtype and integer data keep theirs (`i + 1`
        stays int64, as NumPy's). Arrays are copied: the op may save one the caller changes."""
        for x in inputs:
            if not isinstance(x, Tensor):
                break
        else:
            return inputs  # all tensors already (the common case, answered first)
        dtype = None  # the first tensor's dtype: float constants take it
        for x in inputs:
            if isinstance(x, Tensor):
                dtype = x._data.dtype
                break
        try:
            if dtype is not None and dtype.kind == "f":  # (the common case, answered first)
                return tuple([x if isinstance(x, Tensor) else cls.from_op(_as_array(
                    x, dtype, op, copy=isinstance(x, np.ndarray)), None) for x in inputs])
            return tuple([x if isinstance(x, Tensor) else cls.from_op(
                _constant(x, dtype, op), None) for x in inputs])
        except TypeError:  # (None, as PyTorch's Function.apply passes on: said so)
            if all(x is not None for x in inputs):
                raise
            k = [x is None for x in inputs].index(True)
            raise TypeError(f"{op}: input {k + 1} of {len(inputs)} is None, not a tensor or "
                            f"number (an optional input not given: leave it out of the "
                            f"call, or give it as a keyword, bias=None)") from None

    # -- values ----------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values: an ndarray view of them (a `TrackedArray`) whose writes are counted.

        Writing through it (`t.data[0] = 1`, `w.data -= lr * w.grad.data`) or assigning it
        (`w.data = ...`, which copies the new values in) counts as an in-place change: a
        graph that saved the old values then refuses to backward, naming the tensor and
        the op, instead of computing a gradient from values its forward pass never saw."""
        return tracked_view(self._data, self._version or self._stamp())  # (fast path: stamped)

    @data.setter
    def data(self, value: Any) -> None:
        if value.__class__ is not TrackedArray or value._source is not self._data:
            new = np.array(value)  # a copy: the caller's array could change unseen
            # w.data = [0, 0] on a float tensor: values, not a new dtype (an int64 gradient)
            self._data = new if new.dtype.kind == "f" or self._data.dtype.kind != "f" \
                else _as_array(new, self._data.dtype, "data", copy=False)
            count_write(self._stamp())  # (new memory: old versions sharing the old stay so)
            return
        self._mark_changed()  # (`t.data -= x`: written in place through the view)

    def _mark_changed(self) -> None:
        """Count an in-place change of the values, called just before a write into them
        (old_versions.py's form copies old versions sharing them first): graphs that saved
        them refuse to backward."""
        count_write(self._version or self._stamp())  # (fast path: stamped before, no call)

    def _stamp(self) -> list[int]:
        """Its last in-place write's time (versions.py): a list shared with views, on need."""
        if self._version is None:
            self._version = [0]
        return self._version

    # (`t[index] = value` is in_place.py's: a write the graph follows is recorded there)
    def _write_at(self, index: Any, value: Any, what: str) -> None:
        """`self[index] = value` unrecorded, counted as an in-place change: a leaf that
        requires a gradient only under `no_grad()` (a weight update), no tensor in a graph,
        no value that requires a gradient (in_place.py records those writes instead)."""
        self._check_writable(what, "build a new tensor with tg.where(...) or tg.concatenate(...)")
        # numbers as they are; other data must be numeric (None, a str, a date: one line)
        raw = value._data if isinstance(value, Tensor) else value if isinstance(
            value, _NUMBERS) else _as_array(value, None, what, copy=False, default=None)
        if not self._data.flags.writeable:
            raise read_only_error(f"{what}: cannot write into this tensor", self.shape,
                                  "t = t.clone() (values of its own), then write")
        if self._data.dtype.kind == "f":  # (1e300 into float32: refused, never inf)
            raw = _fitted(raw, self.dtype, what, "write into a float64 tensor (t.to(tg.float64))")
        before = self._stamp()[0]  # (a failed write leaves the version as it was)
        self._mark_changed()  # (before the write: old_versions.py copies what shares it)
        try:
            self._data[_raw_index(index)] = raw
        except OverflowError:  # (2**70 or inf into an integer dtype)
            self._version[0] = before
            raise OverflowError(f"{what}: {_describe(raw)} does not fit the tensor's "
                                f"dtype {self.dtype}; give a value within it, or convert the "
                                f"tensor first (t.to(tg.float64))") from None
        except (ValueError, IndexError, TypeError) as err:
            self._version[0] = before
            raise type(err)(f"{what}: cannot write {_describe(value)} at index "
                            f"[{index_text(_raw_index(index))}] of a tensor of shape "
                            f"{self.shape}: {err}") from None

    def _check_writable(self, what: str, instead: str) -> None:
        """Refuse an in-place write the graph could not follow (the rules: __setitem__);
        under no_grad() a tensor of a graph changes as PyTorch's (values only, counted)."""
        if self.requires_grad and is_grad_enabled() and self._ctx is None:
            raise RuntimeError(
                f"{what}: writing into a leaf tensor that requires a gradient would not be "
                f"recorded; do it under `with tg.no_grad():` (an update), or {instead}")
        if self._ctx is not None and is_grad_enabled():
            raise RuntimeError(
                f"{what}: this tensor was made by op '{self._ctx.name}' and is part of a graph; "
                f"in-place writes into it are not supported: {instead}")

    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each axis, as NumPy's `ndarray.shape`."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements (PyTorch's numel(); NumPy's `.size`)."""
        return self._data.size

    def dim(self) -> int:
        """The number of axes (PyTorch's dim(); NumPy's `.ndim`)."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the values (float64 unless asked otherwise)."""
        return self._data.dtype

    @property
    def T(self) -> "Tensor":  # noqa: N802
        """The tensor with its axes reversed (a recorded transpose)."""
        return self.transpose()

    def t(self) -> "Tensor":
        """A matrix transposed, as PyTorch's t() (a tensor of 0 or 1 axes as it is)."""
        if self._data.ndim > 2:
            raise ShapeError(f"t(): expects a tensor of at most 2 axes, got shape {self.shape}; "
                             f"use transpose(dim0, dim1) or permute(...)")
        return self.transpose()

    # -- conversions -----------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Any:
        if self._data.ndim == 0:  # (else Python's fallback to x[0], x[1]... gives nothing)
            raise TypeError("iteration over a 0-d tensor (one value): use x.item()")
        return (self[i] for i in range(len(self._data)))  # the rows, each in the graph

    def __contains__(self, element: Any) -> bool:
        """`v in t`: PyTorch's and NumPy's `(t == v).any()` (v a number, or a tensor: a row)."""
        if not isinstance(element, Tensor) and not isinstance(element, _NUMBERS):
            raise TypeError(f"in: a tensor can be searched for a number or a tensor, got "
                            f"{type(element).__name__} {_describe(element)}")
        try:
            return bool((self._data == _raw(element)).any())
        except ValueError:  # (NumPy's "could not be broadcast")
            raise ValueError(f"in: a tensor of shape {element.shape} cannot be compared with "
                             f"one of shape {self.shape} (their shapes do not broadcast); "
                             f"give a number, or a row of shape {self.shape[1:]}") from None

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._requires_grad:
            values_read.cut = True  # (as in Tensor([a, b]), which warns: see _new_values)
        # np.asarray(t) is for reading: a read-only view, so that a write through it fails
        # loudly instead of changing saved values unseen (write through t.data instead)
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        if copy:
            return self._data.copy()
        return read_only_view(self._data)

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

    def __format__(self, spec: str) -> str:
        # f"{loss:.4f}", as NumPy's 0-d arrays and PyTorch's one-element tensors allow
        if not spec:
            return str(self)
        if self._data.size != 1:
            raise TypeError(f"format: a format spec ({spec!r}) needs a tensor of one element, "
                            f"got shape {self.shape}; format t.item() or each entry")
        return format(self._data.reshape(()).item(), spec)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = [] if self._data.dtype == np.float64 else [f"dtype={self._data.dtype}"]
        if self._data.size == 0 and self.shape != (0,):  # ("[]" alone hides (0, 3) or (3, 0))
            extras.insert(0, f"size={self.shape}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body] + extras) + ")"

    def __pos__(self) -> "Tensor":
        return self

    # -- autograd --------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether backward() computes this tensor's gradient (a leaf's flag can be set)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: Any) -> None:  # (`= "no"` turned it on: refused)
        flag = check_flag("requires_grad", "requires_grad", flag)
        if getattr(self, "_ctx", None) is not None:  # (as PyTorch's; no _ctx: unpickling)
            raise RuntimeError(f"requires_grad: only a leaf's flag can change, and this tensor "
                               f"was made by op '{self._ctx.name}'; " + ("it requires a "
                               "gradient already: leave it" if flag else "use y.detach() instead"))
        if flag:
            self._check_float("requires_grad")
        self._requires_grad = flag

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (inputs, parameters)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The graph node (op) that made this tensor; None for a leaf."""
        return self._ctx

    @property
    def grad(self) -> "Tensor | None":
        """The gradient backward() stored (a leaf's, or a retained one's), else None."""
        if versions.mixed:  # (fast path: no .grad anywhere mixes steps: nothing to tell)
            versions.tell_if_mixed(self)
        if self._grad is None and self._ctx is not None and not hooks.asked_to_retain(self):
            warnings.warn(  # (PyTorch warns too) w = w - lr * w.grad rebinds w to a result
                f".grad of a tensor made by op '{self._ctx.name}' is None: backward() keeps "
                f"the gradients of leaves (tensors you created) only. Update weights in place "
                f"(with tg.no_grad(): w -= lr * w.grad), not w = w - ..., or call "
                f"retain_grad() on this tensor before backward()", stacklevel=user_stacklevel())
        return self._grad

    @grad.setter
    def grad(self, grad: Any) -> None:
        if grad is not None:  # (checked here: backward() would add into it later)
            float_dtype = self._data.dtype if self._data.dtype.kind == "f" else None
            if not isinstance(grad, Tensor) or grad.dtype != (float_dtype or grad.dtype):
                grad = Tensor(grad, dtype=float_dtype)  # an array, or another float dtype
            if grad.shape != self.shape:
                raise ValueError(f"grad: a gradient of shape {grad.shape} for a tensor of shape "
                                 f"{self.shape}; assign one of the tensor's shape, or None")
            if grad is not self._grad:  # (`w.grad += 1` assigns the same: no new start)
                grad_starts.assigned(self, grad)  # (no hook's change is in a .grad set by hand)
        self._grad, self._grad_at = grad, writes[0]

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Ask (or stop asking) for this leaf's gradient; returns self (a no-op on a result)."""
        if not check_flag("requires_grad_", "requires_grad", requires_grad) or self._ctx is None:
            self.requires_grad = requires_grad
        return self

    def _check_float(self, where: str) -> None:
        if self._data.dtype.kind != "f":
            raise GradientDtypeError(f"{where}: only floating-point tensors can require a "
                                     f"gradient, got dtype {self._data.dtype}; create it with "
                                     f"dtype=np.float64 (the default for lists) or np.float32")

    def retain_grad(self) -> "Tensor":
        """Keep this non-leaf tensor's gradient in `.grad` after backward (e.g. pred.grad)."""
        hooks.retain_grad(self)
        return self

    def register_hook(self, hook: Callable[["Tensor"], Any]) -> Any:
        """Call `hook(grad)` when this tensor's gradient is computed, before it is used.

        The hook may return a replacement gradient (a Tensor or array of the same shape)
        or None to keep it; it must not modify the gradient in place. Returns a handle whose
        remove() takes it off (PyTorch's Tensor.register_hook). A diagram (`draw_graph`,
        `render_graph`) runs no hook: it draws the gradients before any hook, and `.grad`
        as backward() left it; `backward_steps`, which replays backward() step by step,
        runs them while the graph keeps its arrays. A copy (deepcopy, pickle) has no hooks,
        as in PyTorch."""
        return hooks.register_hook(self, hook)

    def detach(self) -> "Tensor":
        """The same data (shared) cut from the graph: needs no gradient."""
        detached = Tensor.from_op(self._data, None)
        detached.name, detached._version = self.name, self._stamp()  # (the same memory)
        return detached

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Gradients of this tensor with respect to every leaf that requires one.

        One pass over the graph in reverse topological order (`engine.backward`); each
        leaf's gradient is added to its `.grad` (they accumulate across calls: clear them
        between steps, `optimizer.zero_grad()` or `w.grad = None`). `gradient`, the gradient
        of some scalar with respect to this tensor, is needed when it has more than one
        element. The graph's saved arrays are freed afterwards unless `retain_graph=True`.
        `inputs` (tensors, leaves or not): only theirs accumulate (`hooks.accumulate_grads`).
        `create_graph=True`: each `.grad` a tensor with a graph (higher_order.py), kept
        unless retain_graph=False."""
        inputs = hooks.backward_inputs("backward()", inputs)
        if not self._requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require a gradient and has no graph; "
                "create the leaves with requires_grad=True, and do not call backward on a "
                "result computed under no_grad() or from detach()ed tensors")
        seed = self._seed(gradient, "backward()", "backward(gradient)", "gradient")
        if create_graph:
            seed, retain_graph = seed_tensor(gradient, seed), retain_graph is not False
        hooks.accumulate_grads(self, seed, bool(retain_graph), inputs, bool(create_graph))

    def _seed(self, gradient: Any, where: str, call: str, name: str) -> np.ndarray:
        """The gradient a backward pass starts from: `gradient` (given as `call`, checked
        to have this tensor's shape), or 1 for a one-element tensor."""
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"{where}: the tensor has shape {self.shape}, so a gradient "
                                   f"must be given: {call} with an array of shape {self.shape} "
                                   f"(or reduce it to a scalar first, e.g. loss.sum().backward())")
            return np.array(1, dtype=self._data.dtype).reshape(self._data.shape)
        seed = _as_array(gradient, self.dtype, call)
        if seed.shape != self.shape:
            raise ValueError(f"{where}: {name} has shape {seed.shape} but the tensor has shape "
                             f"{self.shape}; they must be equal")
        return seed


def zero_grads(params: Any, set_to_none: bool) -> None:
    """Module.zero_grad and optimizer.zero_grad: each `.grad = None`, or (set_to_none=False)
    zeroed in place; a parameter without a gradient keeps None, as in PyTorch: a zero
    gradient would make step() move a frozen or unused parameter (weight decay)."""
    for p in params:
        if set_to_none:
            p._grad = None  # (the setter's None, without a property call per parameter)
        elif p._grad is not None:
            versions.mixed.take(p._grad)  # (zeroed: nothing from before mixed in)
            grad_starts.grad_restarted(p)  # (nor any hook's change: a diagram's cause)
            if p._grad._requires_grad:  # made with create_graph=True: cut first, as PyTorch
                p._grad = p._grad.detach()
            p._grad.zero_()


def _new_values(data: Any, dtype: Any, where: str, default: Any = np.float64) -> np.ndarray:
    """`_as_array` for a new leaf; warns (as PyTorch) when it copies a tensor needing a grad."""
    earlier = getattr(values_read, "cut", False)  # (a read stays said, for whoever watches)
    values_read.cut = isinstance(data, Tensor) and data._requires_grad  # (or in a list: __array__)
    array = _as_array(data, dtype, where, default=default)
    if dtype is None:
        array = python_floats(array, data)
    cut, values_read.cut = values_read.cut, earlier or values_read.cut
    if cut and is_grad_enabled():
        warnings.warn(f"{where}: a tensor in the data requires a gradient: its values are copied "
                      f"into a new leaf, which no gradient flows back through; keep the graph "
                      f"with tg.stack([...]) or t.clone(), or pass t.detach()",
                      stacklevel=user_stacklevel())
    return array


def _raw(value: Any) -> Any:
    """A Tensor's array; anything else as it is."""
    return value._data if isinstance(value, Tensor) else value


def _raw_index(index: Any) -> Any:
    """An index with any Tensors in it replaced by their (integer or boolean) arrays."""
    return tuple(_raw(i) for i in index) if isinstance(index, tuple) else _raw(index)


def to_tensor(x: Any) -> Tensor:
    """`x` if it is a Tensor, else `Tensor(x)` (float64 for whole numbers, unlike tg.as_tensor)."""
    return x if isinstance(x, Tensor) else Tensor(x)


# -- each registered op becomes a method: one registration, no list of names here --------
def _attach(op: type[Function], previous: Any = None) -> None:
    """Make `op` the Tensor methods it names, in place of `previous`'s (a user's op redefined)."""
    for name in (previous.methods + previous.reflected) if previous is not None else ():
        if getattr(vars(Tensor).get(name), "op", None) is previous:
            delattr(Tensor, name)  # (a name the new definition drops does not call the old)
    for name, swapped in [(n, False) for n in op.methods] + [(n, True) for n in op.reflected]:
        existing = Tensor.__dict__.get(name)
        if existing is not None and not hasattr(existing, "op"):
            raise TypeError(f"op '{op.name}': methods={name!r} would replace Tensor.{name}, "
                            f"which is not an op; choose another method name")
        setattr(Tensor, name, _method(op, name, swapped))


def _method(op: type[Function], name: str, swapped: bool) -> Callable:
    if not swapped:
        method = calling(op, name, method=True)  # x.name(...) is op.call(x, ...)
    else:
        call = op.call

        def method(self: Tensor, other: Any) -> Tensor:  # 2 - x: the operands swapped
            return call(other, self)
        method.__name__, method.__doc__, method.op = name, op.__doc__, op
    # (pickle finds a method where these say: a user's op registered later too)
    method.__qualname__, method.__module__ = f"Tensor.{name}", __name__
    return method


engine.Tensor = values.Tensor = Tensor
engine.on_register(_attach)

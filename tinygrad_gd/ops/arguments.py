"""Argument checks the ops' `call` methods share: axes and both spellings of a keyword.

PyTorch says `dim`/`keepdim` where NumPy says `axis`/`keepdims`: every op accepts both.
A bad axis is refused up front, so the error names the op rather than NumPy's internals;
an axis out of range raises NumPy's AxisError, which is a ValueError and an IndexError
(what PyTorch raises), so either library's `except` catches it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor, _new_values, to_tensor
from ..values import default_float

__all__ = ["Tensor", "to_tensor", "check_axis", "either", "ints", "one_axis", "reduced_axes",
           "on_a_scalars_axis", "as_scalars",
           "permutation", "array_argument", "integer", "number", "finite", "floating", "same_dtype",
           "broadcast", "matrix_product", "tensor_sequence", "tensor_argument",
           "refuse_no_numbers", "tensor_int", "tensor_number"]


def either(op: str, numpy_name: str, numpy_value: Any, torch_name: str, torch_value: Any,
           default: Any = None) -> Any:
    """The value given under NumPy's name or PyTorch's (`axis`/`dim`), not both."""
    if torch_value is None:
        return default if numpy_value is None else numpy_value
    if numpy_value is not None:
        raise TypeError(f"{op}: give {numpy_name}= or {torch_name}= (the same thing in NumPy's "
                        f"and PyTorch's words), not both")
    return torch_value


# the ops whose dim is an int list in PyTorch (int[1]): its parser takes a 0-d bool tensor
# there, alone or in the tuple, as the int 0 or 1, where a dim of one int (argmax, cumsum,
# prod) refuses it
_INT_LIST_DIMS = frozenset(("sum", "mean", "amax", "amin", "nansum", "nanmean", "var", "std",
                            "var_mean", "std_mean", "logsumexp", "vector_norm", "norm",
                            "matrix_norm"))
_IN_A_TUPLE = _INT_LIST_DIMS | {"flip"}  # (torch.flip(x, (b,)) too, flip(x, b) refused)


def _axis_int(op: str, axis: Tensor, what: str, ops: frozenset = _INT_LIST_DIMS) -> Any:
    """A 0-d tensor given as an axis, as its int (a bool one too where `op` is among `ops`,
    whose dim is PyTorch's int list); any other refused in one line."""
    if axis.ndim == 0 and axis.dtype == np.bool_ and op in ops:
        axis = axis.long()  # (torch's int[] dim reads a 0-d bool tensor as 0 or 1)
    return tensor_int(op, "axis", axis, what)


def check_axis(op: str, axis: Any, ndim: int, scalar_axis: bool = False) -> Any:
    """`axis` (None, an int or a sequence of ints) checked against `ndim` axes. With
    `scalar_axis` a 0-d tensor has one axis, 0 or -1, as PyTorch's reductions give it:
    reducing along it reduces none of its array's axes, so it comes back as ()."""
    if axis is None:
        return None
    scalar = scalar_axis and ndim == 0
    n = 1 if scalar else ndim
    single = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    if not single and isinstance(axis, Tensor):  # (no tensor's entries read as axes)
        axis, single = _axis_int(op, axis, "an int, a tuple of ints or None"), True
    try:
        axes = (axis,) if single else tuple(axis)
    except TypeError:
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got "
                        f"{type(axis).__name__} {axis!r}") from None
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            if isinstance(a, Tensor):  # (a 0-d integer one among the axes: its int)
                return check_axis(op, tuple(_axis_int(op, t, "an int", _IN_A_TUPLE)
                                            if isinstance(t, Tensor) else t for t in axes),
                                  ndim, scalar_axis)
            raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got "
                            f"{type(a).__name__} {a!r}")
        if not -n <= a < n:
            valid = f"an axis in [{-n}, {n - 1}]" if n else "axis=None"
            # NumPy's AxisError: a ValueError (NumPy) and an IndexError (PyTorch) both
            raise np.exceptions.AxisError(f"{op}: axis {a} is out of range for a tensor "
                                          f"with {ndim} dimension(s); use {valid}")
    if len({int(a) % max(ndim, 1) for a in axes}) != len(axes):
        raise ValueError(f"{op}: axis {axis!r} names an axis twice")
    if scalar:
        return ()
    return int(axis) if single else tuple(int(a) for a in axes)


def reduced_axes(op: str, axis: Any, dim: Any, ndim: int) -> Any:
    """The axes a reduction (sum, mean, var, ...) reduces, given as `axis=` or `dim=` and
    checked by `check_axis`. `dim=()` is refused: PyTorch's reduces every axis (sum,
    mean, std), NumPy's `axis=()` none, which `axis=()` (or a position alone) keeps
    meaning, as the keyword decides elsewhere (`max(dim=1)`)."""
    axes = check_axis(op, either(op, "axis", axis, "dim", dim), ndim, scalar_axis=True)
    if axes == () and dim is not None and ndim:  # (of a 0-d tensor: the same either way)
        raise ValueError(f"{op}: dim={dim!r} reduces every axis in PyTorch but none in "
                         f"NumPy; give dim=None (or no dim) for every axis, or axis=() for none")
    return axes


def on_a_scalars_axis(op: str, x: Tensor, axis: Any) -> bool:
    """Whether an op along one axis is asked for the one axis PyTorch gives a 0-d tensor
    `x` (0 or -1; another is refused): it then runs on `x.reshape(1)` along axis 0, and
    `as_scalars` makes its results 0-d again, as PyTorch's (`softmax(tensor(2.), 0)`)."""
    if x.ndim or axis is None:
        return False
    check_axis(op, axis, 0, scalar_axis=True)
    if isinstance(axis, Tensor):  # (a 0-d integer one, check_axis's: its int)
        axis = int(axis._data)
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    return True


def as_scalars(results: Any) -> Any:
    """An op's results on a 0-d tensor taken as a vector of one entry (`on_a_scalars_axis`),
    each tensor among them 0-d again; a named tuple (values, indices) stays one."""
    if isinstance(results, Tensor):
        return results.reshape(())
    scalars = [as_scalars(r) for r in results]
    return type(results)(*scalars) if hasattr(results, "_fields") else type(results)(scalars)


def one_axis(op: str, axis: Any, ndim: int, none_ok: bool = False) -> int | None:
    """`axis` checked as by `check_axis` and a single int (or None, when `none_ok`): the
    axis of an op that works along one axis (softmax, concatenate, cumsum)."""
    try:
        axis = check_axis(op, axis, ndim)
    except np.exceptions.AxisError:
        if ndim or none_ok:
            raise  # (check_axis's hint for a 0-d tensor, axis=None, is no axis here)
        raise np.exceptions.AxisError(f"{op}: axis {axis} is out of range for a 0-d tensor, "
                                      f"which has no axes; give it one first "
                                      f"(x.reshape(1))") from None
    if not (isinstance(axis, int) or none_ok and axis is None):
        raise TypeError(f"{op}: axis must be one int{' or None' if none_ok else ''}, "
                        f"got {axis!r}")
    return axis


def ints(op: str, sizes: tuple) -> tuple[int, ...]:
    """`f(2, 3)` or `f((2, 3))` as a tuple of ints (a 0-d integer tensor among them read as
    its int, as PyTorch's)."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        if isinstance(sizes[0], Tensor):  # (not its entries: an empty one is no sizes)
            return (tensor_int(op, "a size or axis", sizes[0], "an int or a tuple of ints"),)
        try:
            sizes = tuple(sizes[0])
        except TypeError:
            raise TypeError(f"{op}: expected ints or a tuple of ints, got "
                            f"{type(sizes[0]).__name__} {sizes[0]!r}") from None
    for n in sizes:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):  # (a tensor; else refused)
            return tuple(_int_or_tensor(op, m, sizes) for m in sizes)
    return tuple(int(n) for n in sizes)


def _int_or_tensor(op: str, n: Any, sizes: tuple) -> int:
    """One of the ints `sizes` given one by one (`f(2, 3)`), a 0-d integer tensor read as
    its int; a tuple among them refused (`zeros(tensor(2), (3, 4))`: no size is a tuple)."""
    if isinstance(n, Tensor):
        return tensor_int(op, "a size or axis", n, "an int")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        kind = type(n).__name__
        if isinstance(n, (tuple, list)):
            raise TypeError(f"{op}: sizes and axes must be ints, or one tuple of ints (not "
                            f"both), got {kind} {n!r} in {sizes!r}")
        raise TypeError(f"{op}: sizes and axes must be ints, got {kind} {n!r} in {sizes!r}")
    return int(n)


def tensor_int(op: str, name: str, value: Tensor, wanted: str) -> int:
    """A 0-d integer tensor given for an int (an axis, a size, a count) as that int, as
    PyTorch's (and NumPy's, for a 0-d integer array); any other tensor refused in one line
    (an empty one read as no axes, or a float one, would mean what was not meant)."""
    if value.ndim == 0 and value.dtype.kind in "iu":
        return int(value._data)
    raise TypeError(f"{op}: {name} must be {wanted}, got a tensor of shape {value.shape} and "
                    f"dtype {value.dtype}; only a 0-d integer tensor stands for an int (give "
                    f"the ints themselves: t.tolist())")


def tensor_number(op: str, name: str, value: Tensor) -> float:
    """A 0-d tensor of numbers given for a number (a slope, a bound, a tolerance) as that
    number, as PyTorch's; one that requires a gradient refused (the number gets none,
    which PyTorch drops silently), as is any other tensor."""
    if value.ndim != 0 or value.dtype.kind not in "iuf":
        raise TypeError(f"{op}: {name} must be a number, got a tensor of shape {value.shape} "
                        f"and dtype {value.dtype}; give a number, or a 0-d tensor of one")
    if value.requires_grad:
        raise TypeError(f"{op}: {name} is taken as a number, which gets no gradient, but the "
                        f"0-d tensor given requires one; give {name}.detach() (or float(...)), "
                        f"or compute with it as a tensor input")
    return value._data.item()


def permutation(op: str, what: str, axes: tuple[int, ...], shape: tuple[int, ...]
                ) -> tuple[int, ...] | None:
    """`axes` (ints, negative ones counting from the end) as a permutation of the axes of
    `shape`, or one line: each axis exactly once, none out of range."""
    ndim = len(shape)
    if (any(not -ndim <= a < ndim for a in axes)
            or sorted(a % ndim for a in axes) != list(range(ndim))):
        raise ValueError(f"{op}: {what} {axes} are not a permutation of the {ndim} axes of a "
                         f"tensor of shape {shape}")
    return tuple(a % ndim for a in axes) or None


def array_argument(op: str, what: str, value: Any, kind: str = "an integer") -> np.ndarray:
    """`value` (a Tensor, list or array: indices, counts, a mask) as an ndarray, or one line.

    A copy: the op keeps it for backward, and a later change to the caller's array must
    not change the gradient (as a change to a saved tensor's values may not)."""
    try:
        return np.array(getattr(value, "_data", value))
    except ValueError:
        raise ValueError(f"{op}: {what} {str(value)[:40]!r} is a ragged list (rows of "
                         f"different lengths); give {kind} array or tensor") from None


_HOLDS_NUMBERS = (Tensor, np.ndarray, np.generic, int, float, list, tuple)


def _holds_numbers(value: Any) -> bool:
    """Whether NumPy reads `value` as numbers, as an op's operands are read: an array, a
    list, a range, a torch tensor (anything with `__array__`, any sequence), a number; not
    None, a string, or what NumPy reads as an array of objects (a dict, a set, a Fraction)."""
    if value is None or isinstance(value, (str, bytes)):  # (NumPy reads "ab" as shape ())
        return False
    if isinstance(value, _HOLDS_NUMBERS) or hasattr(value, "__array__") or \
            isinstance(value, Sequence):
        return True
    try:
        return np.asarray(value).dtype != object
    except (TypeError, ValueError):
        return True  # (what NumPy cannot read: _as_array's message, naming the op, says why)


def refuse_no_numbers(op: str, what: str, value: Any) -> None:
    """A tensor argument (an input, a weight, a target) that holds no numbers
    (`_holds_numbers`): one line naming the op and the argument, what was given and what
    to pass."""
    if _holds_numbers(value):
        return
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    text = " ".join(repr(value).split())
    given = "None" if value is None else f"{name} {text if len(text) <= 40 else text[:37] + '...'}"
    leave_out = f", or {what}=None to leave it out" if what == "bias" else ""
    raise TypeError(f"{op}: {what} must be a Tensor, got {given}; pass a tensor of numbers "
                    f"(tg.tensor(...)){leave_out}")


def tensor_argument(op: str, what: str, value: Any) -> Tensor:
    """`value` as a Tensor (to_tensor's, its errors naming `op` and `what`), or
    refuse_no_numbers's one line."""
    if isinstance(value, Tensor):
        return value
    refuse_no_numbers(op, what, value)
    return Tensor.from_op(_new_values(value, None, f"{op}: {what}"), None)


def tensor_sequence(op: str, tensors: Any) -> tuple:
    """The tensors of a join (cat, stack, hstack, ...) as a tuple, or one line: as PyTorch's,
    a list or tuple of them, not empty; one tensor or array is not a sequence of its rows,
    and a set or dict has no order to join in."""
    if isinstance(tensors, (str, bytes, np.ndarray)) or hasattr(tensors, "_data") or \
            not isinstance(tensors, Sequence):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}; wrap them in a list: {op}([a, b])")
    if not len(tensors):
        raise ValueError(f"{op}: needs at least one tensor, got an empty sequence")
    return tuple(tensors)


def integer(op: str, name: str, value: object) -> int:
    """A parameter that must be an int (a size, a length, an offset, a bound: `minlength`,
    `bins`, randperm's `n`), as an int; a bool, float or string is refused in one line."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        if isinstance(value, Tensor):
            return tensor_int(op, name, value, "an int")
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def no_gradient_into(op: str, dtype: Any, value: Any = None) -> None:
    """Refuse, in one line naming `op`, a value that needs a gradient (`value`, a Tensor,
    while grad mode is on; given none, one known to) written into a tensor of integers or
    bools: gradients are of floats, and the cast would drop it silently (PyTorch refuses)."""
    needs = value is None or isinstance(value, Tensor) and value.requires_grad \
        and is_grad_enabled()
    if needs and np.dtype(dtype).kind not in "fc":
        raise TypeError(f"{op}: a value that needs a gradient cannot be written into a "
                        f"tensor of dtype {dtype} (gradients are of floats); convert it "
                        f"first (t = t.to(tg.float64)), or write value.detach()")


def number(op: str, name: str, value: object, low: float | None = None,
           strict: bool = False) -> float:
    """A parameter that must be a real number (`negative_slope`, `alpha`), as a float; with
    `low`, a ValueError unless it is >= low (> low if `strict`): NaN fails that test too."""
    if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} "
                            f"{value!r}")
        value = tensor_number(op, name, value)
    if low is not None and not (value > low if strict else value >= low):
        raise ValueError(f"{op}: {name} must be {'>' if strict else '>='} {low}, got {value!r}")
    return float(value)


def finite(op: str, name: str, value: object, hint: str = "") -> float:
    """`number`, refused unless it is finite too (an inf or NaN bound, step or spread)."""
    x = number(op, name, value)
    if not math.isfinite(x):
        raise ValueError(f"{op}: {name} must be a finite number, got {name}={value}{hint}")
    return x


def integer_divisor(op: str, x: np.ndarray, y: np.ndarray, mode: str = "") -> tuple:
    """x and y; an integer divisor y holding a 0 refused in one line, as PyTorch's
    RuntimeError (NumPy's x // 0 is 0 with a warning; a float divisor gives inf or NaN)."""
    if y.dtype.kind in "biu" and not y.all():
        broadcast(op, x, y)  # (shapes that do not fit are told first, as PyTorch's)
        if x.size:  # (no entries: no division)
            raise RuntimeError(f"{op}: integer division by zero{mode}: the divisor of shape "
                               f"{y.shape} holds a 0; divide floats for inf or NaN there "
                               f"(x.float())")
    return x, y


def signed(x: np.ndarray) -> np.ndarray:
    """The input of a sum or product (sum, prod, cumsum, cumprod): unsigned integers widened
    to int64, as PyTorch adds them up; NumPy's uint64 result would wrap at the first
    subtraction (`a.sum() - b.sum()` of uint8 images)."""
    return x.astype(np.int64) if x.dtype.kind == "u" and x.dtype.itemsize < 8 else x


def floating(x: np.ndarray) -> np.ndarray:
    """The input of an op whose values are real numbers (exp, sin, softmax) in a float
    dtype: x itself when it has one, else the default float (float64 unless
    tg.set_default_dtype changed it, as PyTorch's). (NumPy's promotion would compute bool,
    int8 and uint8 in float16 and int16 in float32.)"""
    return x if x.dtype.kind == "f" else x.astype(default_float())


def same_dtype(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two operands of a binary op (add, mul, matmul, where...) in PyTorch's result
    dtype where it differs from NumPy's: a float keeps its dtype against an integer or bool
    (float32 + int64 is float32, not float64), and an array keeps its dtype against a 0-d
    one of its kind, float or integer (float32 * a 0-d float64 stays float32, uint8 + a
    0-d int64 uint8). Otherwise NumPy's promotion (float32 + float64 arrays: float64; int8
    + int64: int64; bool + int64: int64); operands of one dtype as they are."""
    if x.dtype == y.dtype:
        return x, y
    x_float, y_float = x.dtype.kind == "f", y.dtype.kind == "f"
    if x_float != y_float:
        return (x, y.astype(x.dtype)) if x_float else (x.astype(y.dtype), y)
    if (x.ndim == 0) != (y.ndim == 0) and (x_float or "b" not in (x.dtype.kind, y.dtype.kind)):
        return (x.astype(y.dtype), y) if x.ndim == 0 else (x, y.astype(x.dtype))
    return x, y


def _shape(value: Any) -> tuple[int, ...] | None:
    """The shape of a tensor, array, number or list; None for what has none (a ragged list:
    the op's own conversion refuses it)."""
    try:
        return np.shape(getattr(value, "_data", value))
    except ValueError:
        return None


def broadcast(op: str, *values: Any, to: tuple[int, ...] | None = None) -> None:
    """Refuse, in one line naming `op`, operands whose shapes do not broadcast together
    (or, with `to`, do not broadcast to that shape), before any op runs on them."""
    shapes = [s for s in map(_shape, values) if s is not None]
    try:
        result = np.broadcast_shapes(*shapes, *([] if to is None else [to]))
        fits = to is None or result == tuple(to)
    except ValueError:
        fits = False
    if not fits:
        target = " together" if to is None else f" to {tuple(to)}"
        raise ShapeError(f"{op}: shapes {', '.join(map(str, shapes))} do not broadcast{target} "
                         f"(NumPy's rule: compared from the last axis, each pair of sizes must "
                         f"be equal or one of them 1); reshape or transpose an operand")


def batch_axes(op: str, first: str, first_shape: tuple, second: str, second_shape: tuple,
               second_batch: tuple | None = None) -> None:
    """Refuse, in one line naming `op`, two stacks of matrices (A and B of AX = B, x1 and
    x2 of cdist) whose batch axes, all but the last two, do not broadcast together.
    `second_batch`: the second's batch axes where they are not its shape's (a vector b)."""
    batch = second_shape[:-2] if second_batch is None else second_batch
    try:
        np.broadcast_shapes(tuple(first_shape)[:-2], tuple(batch))
    except ValueError:
        raise ShapeError(f"{op}: the batch axes of {first} {tuple(first_shape)} and {second} "
                         f"{tuple(second_shape)} do not broadcast together (the axes before "
                         f"the last two, compared from the last: each pair of sizes equal or "
                         f"one of them 1)") from None


def matrix_product(op: str, mat1: Any, mat2: Any) -> tuple[int, int] | None:
    """The shape of `mat1 @ mat2` for two matrices (PyTorch's mm, addmm), or one line
    (None when one is a ragged list, which the product itself refuses)."""
    first, second = _shape(mat1), _shape(mat2)
    for name, shape in (("mat1", first), ("mat2", second)):
        if shape is not None and len(shape) != 2:
            raise ShapeError(f"{op}: {name} must be a matrix (2 axes), got shape {shape}")
    if first is None or second is None:
        return None
    if first[1] != second[0]:
        raise ShapeError(f"{op}: mat1 and mat2 cannot be multiplied: shapes {first} @ {second} "
                         f"contract {first[1]} with {second[0]}; transpose one (.T?)")
    return first[0], second[1]

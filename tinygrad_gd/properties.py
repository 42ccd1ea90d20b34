"""What a dtype or a tensor is, answered as Python values, and NumPy's readers of an array.

The default float dtype: `tg.get_default_dtype()` is float64 (PyTorch's is float32);
`tg.set_default_dtype(tg.float32)` makes the creation functions (`tg.zeros`, `tg.randn`,
`tg.arange(1.0)`), tensors of Python numbers and lists (`tg.tensor([0.5])`,
`Tensor([1, 2])`, `Tensor(np.arange(3))`), Python floats met by an integer tensor (`i * 0.5`)
and the parameters of new nn layers float32 until it is set back (float arrays keep their
dtype), and refuses a dtype that is not a float, as PyTorch's. `tg.finfo` and `tg.iinfo` give
a float's or an integer's limits under PyTorch's attribute names (`eps`, `max`, `min`, `tiny`,
`smallest_normal`, `resolution`, `bits`, `dtype`), as Python numbers. `tg.promote_types`
and `tg.result_type` say which dtype the ops here give (PyTorch's rule where it differs from
NumPy's: float32 with an int64 tensor stays float32), `tg.can_cast` whether PyTorch's
casting rules allow a cast (no float into an integer, no number into a bool). A tensor:
`tg.is_floating_point`, `tg.is_complex`, `tg.is_nonzero`, `tg.is_same_size` (PyTorch's),
`tg.shape`, `tg.ndim`, `tg.size`, `tg.unravel_index` (coordinates of flat indices, int64
tensors without gradient), and NumPy's functions that are Tensor methods here: `tg.copy`
(the op `clone`), `tg.astype`, `tg.ptp`. PyTorch's constants `tg.nan`, `tg.inf`, `tg.pi`,
`tg.e` (Python floats), and `tg.Size`, a shape as a tuple (shapes here are plain tuples,
equal to it). The default dtype itself lives in values.py
(`default_float`), below everything that makes tensors, which reads it there.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .ops.arguments import ints, one_axis, same_dtype
from .grad_mode import check_flag
from .tensor import Tensor, to_tensor
from . import values
from .values import _as_array, default_float, numeric_dtype

__all__ = ["get_default_dtype", "set_default_dtype", "finfo", "iinfo", "promote_types",
           "result_type", "can_cast", "is_floating_point", "is_complex", "is_nonzero",
           "is_same_size", "shape", "ndim", "size", "unravel_index", "copy", "astype", "ptp"]

# PyTorch's constants (`torch.tensor([1, torch.nan])`); not in __all__: `import *` would
# bring a one-letter `e` into the caller's names
nan, inf, pi, e = math.nan, math.inf, math.pi, math.e


class Size(tuple):
    """A shape, as PyTorch's `torch.Size([2, 5, 5])`: a tuple of ints (equal to the plain
    tuples that shapes are here)."""

    def __new__(cls, sizes: Any = ()) -> "Size":
        return super().__new__(cls, ints("Size", (tuple(sizes),)))

    def numel(self) -> int:
        """The number of entries a tensor of this shape has."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"tg.Size({list(self)})"


def get_default_dtype() -> np.dtype:
    """The float dtype the creation functions give when no dtype is named: float64 unless
    `set_default_dtype` changed it (PyTorch's get_default_dtype; PyTorch's is float32)."""
    return default_float()


def set_default_dtype(d: Any) -> None:
    """Make `d` (a float dtype: tg.float32, tg.float64, tg.float16, or its name) the dtype
    of new float tensors made without `dtype=` (PyTorch's set_default_dtype); integer and
    bool dtypes refused, as PyTorch's."""
    dtype = numeric_dtype(d, "set_default_dtype")
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {dtype}; give tg.float32 or tg.float64")
    values._DEFAULT_FLOAT[0] = dtype


class _Info:
    """Attributes as PyTorch's finfo/iinfo: Python numbers, `dtype` the dtype's name."""

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.dtype))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name):.6g}" if name != "dtype" else
                           f"dtype={self.dtype}" for name in self._shown)
        return f"{type(self).__name__}({fields})"


class finfo(_Info):  # noqa: N801  (PyTorch's name)
    """A float dtype's limits (PyTorch's torch.finfo; the default dtype without one): bits,
    eps (1.0's next value minus 1.0), max, min, tiny and smallest_normal (the smallest
    positive normal number), resolution (10 ** -decimal digits) and dtype (its name)."""

    _shown = ("resolution", "min", "max", "eps", "smallest_normal", "tiny", "dtype")

    def __init__(self, type: Any = None) -> None:  # noqa: A002  (PyTorch's name)
        dtype = get_default_dtype() if type is None else numeric_dtype(type, "finfo")
        if dtype.kind != "f":
            raise TypeError(f"finfo: requires a floating point dtype, got {dtype}; use "
                            f"tg.iinfo for integer dtypes")
        info = np.finfo(dtype)
        self.bits, self.dtype = int(info.bits), dtype.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # (NumPy's float16 one is rounded)


class iinfo(_Info):  # noqa: N801
    """An integer dtype's limits (PyTorch's torch.iinfo): bits, max, min and dtype (its
    name); float and bool dtypes refused, as PyTorch's."""

    _shown = ("min", "max", "dtype")

    def __init__(self, type: Any) -> None:  # noqa: A002
        dtype = numeric_dtype(type, "iinfo")
        if dtype.kind not in "iu":
            raise TypeError(f"iinfo: requires an integer dtype, got {dtype}; use tg.finfo for "
                            f"float dtypes")
        info = np.iinfo(dtype)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), \
            int(info.min), dtype.name


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The dtype the ops here give two tensors of these dtypes (PyTorch's promote_types): a
    float dtype against an integer or bool one is kept (int64 with float32: float32), two of
    one kind are widened as NumPy's (int8 with uint8: int16)."""
    a, b = (np.zeros(1, numeric_dtype(t, "promote_types")) for t in (type1, type2))
    return np.result_type(*same_dtype(a, b))


def _operand(value: Any) -> np.ndarray:
    """A tensor's values, or a number as PyTorch's result_type sees it: a 0-d array (a
    float of the default dtype, an int int64, a bool bool)."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(value, bool)
    if isinstance(value, (int, np.integer)):
        return np.asarray(value, np.int64)
    if isinstance(value, (float, np.floating)):
        return np.asarray(value, get_default_dtype())
    raise TypeError(f"result_type: expected tensors or numbers, got {type(value).__name__} "
                    f"{value!r:.40}")


def result_type(tensor1: Any, tensor2: Any) -> np.dtype:
    """The dtype an op on `tensor1` and `tensor2` (tensors or numbers) gives here (PyTorch's
    result_type): `promote_types`, a number taking the tensor's dtype where both are
    integers or both floats (int32 with 3: int32), and a 0-d float tensor against a float
    tensor taking the tensor's (float32 with a 0-d float64 tensor: float32)."""
    x, y = _operand(tensor1), _operand(tensor2)
    kinds = {x.dtype.kind in "iu", y.dtype.kind in "iu"}, {x.dtype.kind, y.dtype.kind}
    if kinds[0] == {True} or kinds[1] == {"f"}:  # (a number takes a tensor's dtype of its kind)
        if not isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
            x = x.astype(y.dtype)
        if not isinstance(tensor2, Tensor) and isinstance(tensor1, Tensor):
            y = y.astype(x.dtype)
    return np.result_type(*same_dtype(x, y))


_KINDS = {"b": 0, "u": 1, "i": 1, "f": 2}  # PyTorch's casting order: bool, integers, floats


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's casting rules allow `from_` into `to` (its can_cast, the rule of
    in-place ops): never to a lower kind (a float into an integer, a number into a bool);
    within a kind always (float64 into float32, int64 into uint8)."""
    source, target = (numeric_dtype(t, "can_cast") for t in (from_, to))
    return _KINDS[target.kind] >= _KINDS[source.kind]


def _tensor(name: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected a tensor, got {type(value).__name__} {value!r:.40}")
    return value


def is_floating_point(input: Any) -> bool:  # noqa: A002
    """Whether the tensor's dtype is a float dtype (PyTorch's is_floating_point)."""
    return _tensor("is_floating_point", input).dtype.kind == "f"


def is_complex(input: Any) -> bool:  # noqa: A002
    """False for every tensor here: complex dtypes are not supported (PyTorch's is_complex)."""
    return _tensor("is_complex", input).dtype.kind == "c"


def is_nonzero(input: Any) -> bool:  # noqa: A002
    """Whether a one-element tensor's value is not 0 (PyTorch's is_nonzero); a tensor of
    several values, or none, is refused as ambiguous."""
    x = _tensor("is_nonzero", input)
    if x.size != 1:
        raise RuntimeError(f"is_nonzero: a tensor of shape {x.shape} has {x.size} values, so "
                           f"its truth is ambiguous; give a tensor of one value, or use "
                           f"x.any() or x.all()")
    return bool(x._data.reshape(()) != 0)


def is_same_size(input: Any, other: Any) -> bool:  # noqa: A002
    """Whether the two tensors have one shape (PyTorch's is_same_size)."""
    return _tensor("is_same_size", input).shape == _tensor("is_same_size", other).shape


def shape(a: Any) -> tuple[int, ...]:
    """The shape, a tuple (NumPy's np.shape)."""
    return tuple(np.shape(getattr(a, "_data", a)))


def ndim(a: Any) -> int:
    """The number of axes (NumPy's np.ndim)."""
    return int(np.ndim(getattr(a, "_data", a)))


def size(a: Any, axis: Any = None) -> int:
    """The number of elements, or the length of `axis` (NumPy's np.size)."""
    values = getattr(a, "_data", a)
    if axis is None:
        return int(np.size(values))
    return int(np.shape(values)[one_axis("size", axis, np.ndim(values))])


def unravel_index(indices: Any, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates in a tensor of `shape` of each flat index (PyTorch's and NumPy's
    unravel_index): one int64 tensor per axis, without gradient. A negative index counts
    from the end, as PyTorch's; one beyond the size is refused."""
    flat = _as_array(indices, None, "unravel_index", copy=False, default=None)
    if flat.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got dtype {flat.dtype}")
    dims = ints("unravel_index", (shape,))
    if any(n < 0 for n in dims):
        raise ValueError(f"unravel_index: shape {dims} has a negative size")
    count = math.prod(dims)
    if flat.size and not (-count <= flat.min() and flat.max() < count):
        raise ValueError(f"unravel_index: indices from {flat.min()} to {flat.max()} do not fit "
                         f"a tensor of shape {dims} ({count} entries: each must be in "
                         f"[-{count}, {count}))")
    coordinates = np.unravel_index(np.where(flat < 0, flat + count, flat), dims)
    # a 0-d index gives NumPy scalars: each made a 0-d array, as a tensor's values must be
    return tuple(Tensor.from_op(np.asarray(c, dtype=np.int64), None) for c in coordinates)


def copy(a: Any) -> Tensor:
    """A copy of the values, in the graph (NumPy's np.copy): the op `clone`."""
    return to_tensor(a).clone()


def astype(x: Any, dtype: Any, /, *, copy: bool = True) -> Tensor:
    """x's values as `dtype` (NumPy's np.astype): `x.astype(dtype)`, in the graph to a float
    dtype; x itself when `copy=False` and the dtype is its own."""
    x = to_tensor(x)
    return x if not check_flag("astype", "copy", copy) and x.dtype == dtype else x.astype(dtype)


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """max - min over `axis` (NumPy's np.ptp): the ops max, min and sub."""
    return to_tensor(a).ptp(axis, keepdims)

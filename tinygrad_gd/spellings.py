"""Other spellings of what the ops already do, so that a PyTorch or NumPy user guesses right.

Each is a Tensor method (or `tg.` function) that calls a registered op, so it is in the
graph with that op's gradient and refusals (said of the name called: alias_methods.py), and
the diagrams show that op: `x.clamp_min(0)` is `clip`, `x.amax(1)` is `max`, `x.ravel()` is
`reshape`, `x.mT` is `swapaxes`, `x.diagonal()` is `diagonal`, `x.unbind(0)` is a `getitem`
per entry, `x.sort(dim=1)` is `sort` (PyTorch's; without `dim=` or `descending=` refused:
NumPy's `a.sort()` sorts in place). `tg.tensor([1, 2])` is PyTorch's `torch.tensor`, always
a copy (`tinygrad_gd.tensor` is also the module that defines Tensor, made callable).
`x.cpu()` and `x.contiguous()` give x (a copy when x's values are a strided view);
`tg.from_numpy(a)` copies `a`, as `tg.Tensor(a)` does (PyTorch's shares its memory: here a
later change to `a` is not seen); the dtype names `tg.float16/32/64`, `int8/16/32/64`,
`uint8`, `bool` are NumPy's; `x.itemsize`, `x.nbytes` and `x.element_size()` are the
values' sizes in bytes. `tg.meshgrid` (reshape and broadcast_to, in the graph) wants
`indexing=`, as NumPy's and PyTorch's defaults differ; `x.fill_diagonal_(v)` writes as
`t[...] = v` does; `tg.set_printoptions` takes PyTorch's names. `x.ptp()`, `divmod(x, y)`,
`x.conj()` and `x.real` (x itself: the values are real) as NumPy's. `x.size` is NumPy's
number of elements, which PyTorch's `x.size()` calls for the shape; `x.float()` and
`x.double()` are PyTorch's casts (the op `to`), as are `x.half()` and `x.type(dtype)`
(`x.type()` names the dtype as PyTorch does: 'tinygrad_gd.DoubleTensor'). `x.device` is
"cpu" (a str, with PyTorch's `.type` and `.index`), `x.is_cuda` False. `x.view_as(y)`,
`x.reshape_as(y)` are `reshape`, `x.expand_as(y)` is `broadcast_to`, `x.select(dim, i)` is
`getitem` (`x.detach_()` is in_place_shapes.py's). An
integer 0-d tensor is an index (`__index__`: `[10, 20][i]`, `range(n)`), as NumPy's;
`round(x)` of a one-element tensor is a Python number, as `round` of a NumPy scalar
(NumPy's and PyTorch's arrays refuse `round`: `x.round()` is the op). Other libraries read
the values through DLPack (`torch.tensor(x)`, `torch.as_tensor(x)`, `np.from_dlpack(x)`): a
copy.
"""
from __future__ import annotations

import operator
import types
from typing import Any

import numpy as np

from . import creation, functional, hooks, tensor as tensor_module
from .alias_methods import METHODS as ALIASES, short
from .grad_mode import check_flag
from .in_place import scalar
from .op_errors import named, refusing_as
from .memory_formats import cast, check_memory_format, contiguous_copy_format, \
    is_contiguous_as
from .ops.arguments import broadcast, matrix_product, number, one_axis
from .ops.contraction import Diagonal
from .ops.reductions import sort_direction
from .tensor import Tensor, to_tensor
from .values import NO_BFLOAT16, dtype_spelling, is_bfloat16

__all__ = ["from_numpy", "is_tensor", "numel", "addmm", "lerp", "meshgrid",
           "set_printoptions"]

# `dtype=tg.float32` as `dtype=torch.float32`: NumPy's dtypes under PyTorch's names (not in
# __all__: they are NumPy's objects, documented there)
float16, float32, float64, uint8, int8, int16, int32, int64, bool_ = (
    np.float16, np.float32, np.float64, np.uint8, np.int8, np.int16, np.int32, np.int64, np.bool_)


class _Size(int):
    """NumPy's `t.size`, the number of elements, which PyTorch's `t.size()` can call: then
    it is the shape, or one axis's length. (The names mean different things in the two.)"""

    def __new__(cls, count: int, shape: tuple[int, ...]) -> "_Size":
        size = super().__new__(cls, count)
        size.shape = shape
        return size

    def __call__(self, dim: int | None = None, *more: Any) -> Any:
        if more:  # (Python's own count would include the size itself)
            raise TypeError(f"size: takes at most 1 argument (dim) but {1 + len(more)} were "
                            f"given; ask for one axis at a time, or size() for the shape")
        if dim is None:
            return self.shape
        n = len(self.shape)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or not -n <= dim < n:
            raise IndexError(f"size({dim!r}): the tensor has {n} axes (shape {self.shape}); "
                             f"give an axis in [{-n}, {n - 1}]")
        return self.shape[dim]

    def __reduce__(self) -> Any:
        return int, (int(self),)  # pickled and copied as the plain number

    __call__.__qualname__ = "Tensor.size"  # (what Python's count of its arguments names)


def _size(self: Tensor) -> _Size:
    """The number of elements, as NumPy's `.size` (an int); called, the shape, as
    PyTorch's `size()` (`t.size(0)`: the length of axis 0)."""
    return _Size(self._data.size, self._data.shape)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor of `array`'s values and dtype (a copy; PyTorch's shares the memory)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}; "
                        f"use tg.as_tensor(...) for lists and numbers")
    return Tensor(array, dtype=array.dtype)


def is_tensor(obj: Any) -> bool:
    """Whether `obj` is a Tensor (PyTorch's is_tensor)."""
    return isinstance(obj, Tensor)


def numel(x: Any) -> int:
    """The number of elements (PyTorch's numel)."""
    return int(np.size(getattr(x, "_data", x)))


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2) (PyTorch's addmm): the ops matmul and add (and
    mul where beta or alpha is not 1; beta=0 ignores input, NaN too, by masked_fill)."""
    beta, alpha = number("addmm", "beta", beta), number("addmm", "alpha", alpha)
    broadcast("addmm", input, to=matrix_product("addmm", mat1, mat2))
    product = functional.matmul(mat1, mat2)
    product = product if alpha == 1 else alpha * product
    if beta == 0:  # (0 * NaN would be NaN)
        return product + functional.masked_fill(input, True, 0.0)
    return product + (input if beta == 1 else beta * input)


@refusing_as("lerp", "sub", "mul", "add", "where")
def lerp(input: Any, end: Any, weight: Any) -> Tensor:
    """From input (weight 0) to end (weight 1), PyTorch's lerp; in the graph for all three."""
    start = to_tensor(input)
    if not hasattr(weight, "shape"):  # a tensor or array, else one number
        weight = number("lerp", "weight", weight)
    broadcast("lerp", start, end, weight)
    diff, low = end - start, weight < 0.5  # PyTorch's two sides: exact at weight 0 and 1
    return functional.where(low, start + weight * diff, end - diff * (1 - weight))


def meshgrid(*xs: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (a 0-d one as one entry, as PyTorch's), in the
    graph (reshape and broadcast_to). NumPy's default is indexing="xy" (the first two axes
    swapped), PyTorch's "ij"; they differ silently for square grids: give `indexing=`."""
    if indexing not in ("xy", "ij"):
        raise TypeError(f"meshgrid: give indexing='xy' (NumPy's default: the first grid "
                        f"varies along columns) or indexing='ij' (PyTorch's), got "
                        f"{indexing!r}")
    xs = tuple(map(to_tensor, xs[0] if len(xs) == 1 and isinstance(xs[0], (list, tuple))
                   else xs))
    if any(x.ndim > 1 for x in xs):
        raise ValueError(f"meshgrid: expects 1-D or 0-d tensors, got shapes "
                         f"{[x.shape for x in xs]}")
    shape = [x.numel() for x in xs]  # (a 0-d tensor: 1, reshaped below as a 1-D one)
    if indexing == "xy" and len(xs) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for k, x in enumerate(xs):
        axis = {0: 1, 1: 0}.get(k, k) if indexing == "xy" and len(xs) >= 2 else k
        view = [-1 if a == axis else 1 for a in range(len(xs))]
        grids.append(x.reshape(view).broadcast_to(tuple(shape)))
    return tuple(grids)


_PROFILES = {"default": (8, 1000, 3, 75), "short": (2, 1000, 2, 80),  # 'default': NumPy's,
             "full": (8, np.iinfo(np.int64).max, 3, 75)}  # what printing here starts with


def set_printoptions(precision: int | None = None, threshold: int | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print (PyTorch's names; NumPy's np.set_printoptions underneath): digits,
    summarising threshold, edge items, line width (PyTorch's `profile=` 'default', 'short' or
    'full' sets those four, then given ones), `sci_mode=False` for no scientific notation."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {list(_PROFILES)}, "
                             f"got {profile!r}")
        set_printoptions(*_PROFILES[profile])
    options = dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                   linewidth=linewidth)
    if sci_mode is not None:
        options["suppress"] = not sci_mode
    np.set_printoptions(**{key: value for key, value in options.items() if value is not None})


def _fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Set the main diagonal to `fill_value` in place and return t (PyTorch's
    fill_diagonal_, NumPy's np.fill_diagonal), where `t[...] = v` may write."""
    if self.ndim < 2 or len(set(self.shape)) != 1 and self.ndim > 2:
        raise ValueError(f"fill_diagonal_: needs a matrix (or a cube of equal sides), got "
                         f"shape {self.shape}")
    diagonal = np.zeros(self.shape, dtype=bool)
    wrap = check_flag("fill_diagonal_", "wrap", wrap)  # (a tensor's truth: NumPy's error)
    np.fill_diagonal(diagonal, True, wrap=wrap)  # NumPy's rule for which entries, wrap too
    self[diagonal] = scalar("fill_diagonal_", "fill_value", fill_value)  # (None was NaN)
    return self


def _divmod(self: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    """`divmod(x, y)`: (x // y, x % y), the ops floor_divide and remainder."""
    return self // other, self % other


def _rdivmod(self: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    return other // self, other % self


def _itself(self: Tensor) -> Tensor:
    """x itself: the values are real (NumPy's and PyTorch's conj() and .real of a real)."""
    return self


def _ravel(self: Tensor) -> Tensor:
    """The values as one axis (NumPy's and PyTorch's ravel): the op `reshape`."""
    return self.reshape(-1)


def _matrix_transpose(self: Tensor) -> Tensor:
    """The last two axes swapped (PyTorch's x.mT): the op `swapaxes`."""
    if self.ndim < 2:
        raise ValueError(f"mT: needs a tensor of at least 2 axes, got shape {self.shape}")
    return self.swapaxes(-2, -1)


def _unbind(self: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The entries along `dim`, each a tensor with that axis removed (PyTorch's unbind)."""
    axis = one_axis("unbind", dim, self.ndim) % self.ndim
    return tuple(self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis]))


def _diagonal(self: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal `offset` of the matrices over dim1, dim2 (NumPy's and PyTorch's
    diagonal, a view): the op `diagonal`."""
    return Diagonal.call(self, offset, dim1, dim2)


def _itemsize(self: Tensor) -> int:
    """Bytes per element (NumPy's itemsize; PyTorch's element_size())."""
    return self._data.itemsize


def _nbytes(self: Tensor) -> int:
    """Bytes of all the values (NumPy's and PyTorch's nbytes)."""
    return self._data.nbytes


def _cpu(self: Tensor) -> Tensor:
    """x itself: tinygrad_gd runs on the CPU (PyTorch's x.cpu())."""
    return self


def _is_contiguous(self: Tensor, *, memory_format: Any = None) -> bool:
    """Whether the values lie in memory row by row (C order) without gaps, or as PyTorch's
    `memory_format=` says (tg.channels_last: NHWC, of a 4-d tensor), from the strides."""
    return is_contiguous_as(self._data, check_memory_format("is_contiguous", memory_format))


def _contiguous(self: Tensor, *, memory_format: Any = None) -> Tensor:
    """x itself when its values are laid out so, else a copy that is (the op `clone`): row
    by row, or as PyTorch's `memory_format=` says (tg.preserve_format refused, as there)."""
    fmt = contiguous_copy_format(memory_format, self._data)
    return self if fmt is None else self.clone(memory_format=fmt)


def _sort(self: Tensor, dim: Any = None, descending: Any = None, stable: Any = None, *,
          axis: Any = None) -> Any:
    """PyTorch's `values, indices = x.sort(dim=-1, descending=False)` (the op `sort`).

    NumPy's `a.sort()` sorts `a` in place and returns None; a tensor in a graph cannot be
    sorted in place, so a call that says neither `dim` nor `descending` is refused rather
    than guessed: `x.sort(dim=-1)` for PyTorch's pair, `x = tg.sort(x)` for NumPy's
    sorted copy."""
    if dim is None and descending is None and stable is None:
        raise TypeError("sort: x.sort() is NumPy's in-place sort (returning None) or PyTorch's "
                        "(values, indices); a tensor cannot be sorted in place, so say which: "
                        "values, indices = x.sort(dim=-1), or x = tg.sort(x, axis=-1) for the "
                        "sorted values")
    if axis is not None:
        raise TypeError("sort: the method takes PyTorch's dim=; tg.sort(x, axis=...) is NumPy's")
    return functional.sort(self, dim=-1 if dim is None else dim,  # (a str: NumPy's kind)
                           descending=sort_direction("sort", descending), stable=stable)


class _Device(str):
    """Where the values are: "cpu" (a str: `x.device == "cpu"`, printed `cpu`), with
    PyTorch's `device.type` and `device.index`."""

    type = "cpu"
    index = None

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __reduce__(self) -> Any:
        return str, ("cpu",)


_CPU = _Device("cpu")


def _device(self: Tensor) -> _Device:
    """"cpu": tinygrad_gd's values are NumPy arrays (PyTorch's x.device; prints `cpu`)."""
    return _CPU


def _is_cuda(self: Tensor) -> bool:
    """False: tinygrad_gd runs on the CPU (PyTorch's x.is_cuda)."""
    return False


def _is_floating_point(self: Tensor) -> bool:
    """Whether the dtype is a float dtype (PyTorch's is_floating_point())."""
    return self._data.dtype.kind == "f"


def _nelement(self: Tensor) -> int:
    """The number of elements (PyTorch's nelement(), numel())."""
    return self._data.size


def _select(self: Tensor, dim: Any, index: Any) -> Tensor:
    """Entry `index` along `dim`, that axis removed (PyTorch's select): the op `getitem`."""
    if self.ndim == 0:
        raise IndexError("select: a 0-d tensor has no axis to select from; use x.item() for "
                         "its value")
    axis = one_axis("select", dim, self.ndim) % self.ndim
    try:
        if isinstance(index, bool):
            raise TypeError
        i = operator.index(index)
    except TypeError:
        raise TypeError(f"select: index must be an int, got {type(index).__name__} "
                        f"{short(index)}") from None
    n = self.shape[axis]
    if not -n <= i < n:
        raise IndexError(f"select: index {i} is out of range for axis {axis} of length {n} "
                         f"(shape {self.shape}); give an index in [{-n}, {n - 1}]")
    return self[(slice(None),) * axis + (i,)]


def _retains_grad(self: Tensor) -> bool:
    """Whether retain_grad() asked to keep this non-leaf's gradient (False for a leaf, as
    PyTorch's: a leaf keeps its gradient anyway; True for one detached in place after
    retain_grad(), as PyTorch's, whose old version keeps it: `hooks.retain_with`)."""
    return hooks.asked_to_retain(self) and (self._ctx is not None or not hooks.retains(self))


# PyTorch's legacy tensor type names of dtypes (x.type()); the others are capitalised
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "uint8": "Byte",
               "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
               "bool": "Bool"}
_DTYPES_OF_TYPE_NAMES = {name: dtype for dtype, name in _TYPE_NAMES.items()}


@refusing_as("type", "to")  # (refused: said of type, not of to)
def _type(self: Tensor, dtype: Any = None, *, memory_format: Any = None) -> Any:
    """PyTorch's x.type(): without a dtype, its name ('tinygrad_gd.DoubleTensor' for
    float64, as PyTorch's 'torch.DoubleTensor'); with one (a NumPy dtype, such a name,
    'torch.' or 'tinygrad_gd.', or such a class, tg.FloatTensor or torch.FloatTensor read
    by its name), x in that dtype: `x.to(dtype, memory_format=)`, x itself if the same."""
    memory_format = check_memory_format("type", memory_format, None if dtype is None else self.ndim)
    if dtype is None:
        name = self._data.dtype.name
        return f"tinygrad_gd.{_TYPE_NAMES.get(name, name.capitalize().replace('Ui', 'UI'))}Tensor"
    given = dtype  # (the refusal says what the user gave, not the name read from it)
    if type(dtype).__name__ == "tensortype":  # torch.FloatTensor, read as its name
        dtype = f"{dtype.__module__}.{dtype.__name__}"
    if isinstance(dtype, str) and dtype.startswith(("tinygrad_gd.", "torch.")) \
            and dtype.endswith("Tensor"):
        kind = dtype.split(".", 1)[1][:-len("Tensor")]
        dtype = _DTYPES_OF_TYPE_NAMES.get(kind, kind.lower())
    dtype = dtype_spelling(dtype, "type")
    try:
        target = np.dtype(dtype)
    except TypeError:
        why = NO_BFLOAT16 if is_bfloat16(dtype) else "tinygrad_gd runs on the CPU only"
        raise TypeError(f"type: expected a dtype (tg.float32, \"int64\") or a type name such "
                        f"as 'tinygrad_gd.FloatTensor', got {type(given).__name__} "
                        f"{short(given)}; {why}") from None
    return self.to(target, memory_format=memory_format)


def _index(self: Tensor) -> int:
    """An integer 0-d tensor as a Python int, where Python wants an index (`items[i]`,
    `range(n)`), as a NumPy integer 0-d array; anything else refused, as NumPy does."""
    if self._data.ndim != 0 or self._data.dtype.kind not in "iu":
        raise TypeError(f"only an integer tensor of no axes (0-d) can be an index, got shape "
                        f"{self.shape} and dtype {self.dtype}; use int(x) for a whole number "
                        f"in a one-element tensor")
    return int(self._data)


def _round(self: Tensor, ndigits: Any = None) -> Any:
    """round(x) of a one-element tensor: its value rounded, a Python number (an int without
    `ndigits`), as round() of a NumPy scalar or a float; halves to even."""
    if self._data.size != 1:
        raise TypeError(f"round(): a tensor of shape {self.shape} is not one number; use "
                        f"x.round(decimals=...) for a tensor of rounded values (the op round)")
    return round(self._data.reshape(()).item(), ndigits)


def _dlpack(self: Tensor, **kwargs: Any) -> Any:
    """The values through DLPack, for torch.tensor(x), torch.as_tensor(x) and
    np.from_dlpack(x): a copy, so that what the other library writes never changes x's
    values unseen (by-passing the in-place checks)."""
    if kwargs.pop("copy", None) is False:
        raise BufferError("__dlpack__: tinygrad_gd gives a copy of the values (a write "
                          "through shared memory would not be counted); ask with copy=None "
                          "or copy=True")
    return np.array(self._data).__dlpack__(**kwargs)


def _dlpack_device(self: Tensor) -> Any:
    """The DLPack device of the values: the CPU."""
    return self._data.__dlpack_device__()


_METHODS = {"sort": _sort, "ravel": _ravel, "unbind": _unbind, "diagonal": _diagonal,
            "cpu": _cpu, "contiguous": _contiguous, "is_contiguous": _is_contiguous,
            "addmm": addmm, "lerp": lerp, "element_size": _itemsize,
            "fill_diagonal_": _fill_diagonal_, "__divmod__": _divmod, "__rdivmod__": _rdivmod,
            "conj": _itself, "float": cast(np.float32, "float"),
            "double": cast(np.float64, "double"), "half": cast(np.float16, "half"),
            "type": _type, "is_floating_point": _is_floating_point, "nelement": _nelement,
            "select": _select, "__index__": _index, "__round__": _round,
            "__dlpack__": _dlpack, "__dlpack_device__": _dlpack_device, **ALIASES}
for _name, _method in _METHODS.items():
    _method.__name__ = _method.__qualname__ = _name
    setattr(Tensor, _name, _method)
for _name, _getter in (("size", _size), ("mT", _matrix_transpose), ("itemsize", _itemsize),
                       ("nbytes", _nbytes), ("real", _itself), ("device", _device),
                       ("is_cuda", _is_cuda), ("retains_grad", _retains_grad)):
    setattr(Tensor, _name, property(_getter))  # (read as attributes, as PyTorch's)


def _tensor(data: Any, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """`tg.tensor(data, dtype=None, requires_grad=False)`, PyTorch's first line (a copy;
    `device="cpu"` accepted)."""
    return creation.tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


class _CallableModule(types.ModuleType):
    """The module tinygrad_gd.tensor, which answers `tg.tensor(...)`: the name is taken by
    the module, and imports of it work as before. A static method, named `tensor`: a wrong
    argument is refused as tensor()'s, counted without the module."""

    __call__ = staticmethod(named(_tensor, "tensor"))


tensor_module.__class__ = _CallableModule

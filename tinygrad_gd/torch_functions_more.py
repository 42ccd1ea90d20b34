"""More of torch's top-level names a PyTorch user guesses (torch_functions.py has the others),
and their Tensor methods.

Neural-network functions: F's under torch's top-level signatures (`tg.conv3d`, `tg.conv_tbc`,
`tg.max_pool3d` giving values only, `tg.embedding_bag(weight, indices, offsets, ...)`
giving torch's four tensors, `tg.celu_`, ...). Integer functions without gradient
(results are constants, as logic.py's): `bitwise_and`, `bitwise_or`, `bitwise_xor`,
`bitwise_not` (what `&`, `|`, `^`, `~` compute), `bitwise_left_shift` and
`bitwise_right_shift` (and `<<`, `>>`: a shift by a negative count or by the dtype's width
or more gives 0, or -1 for a negative value shifted right, as torch's), `gcd`, `lcm`;
predicates `isposinf`, `isneginf`, `isreal`, `x.is_signed()`. In the graph: `true_divide`
and `x.true_divide_` (div without a rounding_mode, as torch's), `mm` and `bmm` (`matmul`
of two matrices, of two equal batches of matrices, as torch's: no broadcast, no vector),
`adjoint` (the last two axes swapped: the values are real), `diagonal_scatter` and
`index_put` (the op `scatter` or `scatter_add` on the flattened input, so input and the
written values get gradients), and `index_put_` in place.

Also torch's `convolution` (conv1d to conv_transpose3d, by weight's axes and `transposed`),
`frobenius_norm` and `nuclear_norm` (linalg's norms under torch's older signatures),
`row_stack` (vstack), and the top-level forms of the methods `is_signed`, `is_neg`,
`get_device`, `is_distributed`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import linalg
from .alias_methods import refusing_in_place
from .compositions import vstack
from .creation import fits
from .grad_mode import check_flag
from .in_place import _from_op
from .logic import _constant, _values
from .nn import functional as F
from .nn.layer_arguments import _as_tensor
from .op_errors import named, refusing_as
from .ops.arguments import broadcast, integer, matrix_product, one_axis
from .products import _batches
from .properties import _tensor
from .tensor import Tensor, _raw
from .torch_functions import _add_in_place, _stride

__all__ = ["conv3d", "conv_transpose3d", "conv_tbc", "max_pool3d", "embedding_bag", "celu_",
           "selu_", "rrelu_", "threshold_", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "isposinf",
           "isneginf", "isreal", "true_divide", "mm", "bmm", "adjoint", "diagonal_scatter",
           "index_put", "index_put_", "convolution", "frobenius_norm", "nuclear_norm",
           "row_stack", "is_signed", "is_neg", "get_device", "is_distributed"]

# -- PyTorch's top-level neural-network functions: F's, under torch's signatures ------------
conv3d, conv_transpose3d = F.conv3d, F.conv_transpose3d
celu_, selu_, threshold_ = F.celu_, F.selu_, F.threshold_


def conv_tbc(input: Any, weight: Any, bias: Any, pad: int = 0) -> Tensor:  # noqa: A002
    """F.conv_tbc (torch.conv_tbc): a 1-d convolution of input (time, batch, channels)."""
    return F.conv_tbc(input, weight, bias, pad)


def max_pool3d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """F.max_pool3d's values (torch.max_pool3d; stride None or [] is the kernel size)."""
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation,
                        ceil_mode=ceil_mode)


def rrelu_(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
           training: bool = False, generator: Any = None) -> Tensor:
    """F.rrelu_ (torch.rrelu_: its fifth argument is the generator)."""
    return F.rrelu_(input, lower, upper, training, generator=generator)


_BAG_MODES = {0: "sum", 1: "mean", 2: "max"}  # torch's integer modes


def embedding_bag(weight: Any, indices: Any, offsets: Any, scale_grad_by_freq: bool = False,
                  mode: Any = 0, sparse: bool = False, per_sample_weights: Any = None,
                  include_last_offset: bool = False,
                  padding_idx: Any = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """torch.embedding_bag: F.embedding_bag(indices, weight, offsets, ...) with weight first
    and torch's integer mode (0 'sum', 1 'mean', 2 'max'; or the names), giving torch's four
    tensors: the bags' rows; offset2bag (each index's bag); bag_size (entries counted per
    bag, 0s for 'sum'); max_indices (per bag and feature the row that is the max for 'max',
    bag_size for 'mean', 0s for 'sum'). The last three are int64, without gradient.
    scale_grad_by_freq=True ('sum' and 'mean'): each row's gradient divided by how often
    its index occurs in `indices`, as F.embedding_bag's."""
    name = "embedding_bag"
    if not isinstance(mode, str):
        code = integer(name, "mode (0 sum, 1 mean, 2 max; or the name)", mode)
        if code not in _BAG_MODES:
            raise ValueError(f"{name}: mode must be 0 (sum), 1 (mean) or 2 (max), got {code}")
        mode = _BAG_MODES[code]
    out = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, mode, sparse,
                          per_sample_weights, include_last_offset, padding_idx)
    index = np.asarray(_raw(indices)).astype(np.int64)
    if index.ndim == 2:  # (B bags of N: their offsets)
        offsets, index = np.arange(0, index.size, max(index.shape[1], 1)), index.reshape(-1)
    starts = np.asarray(_raw(offsets)).astype(np.int64).reshape(-1)
    starts = starts[:-1] if check_flag(name, "include_last_offset", include_last_offset) \
        else starts
    bags = out.shape[0]
    bag_of = np.zeros(index.size, dtype=np.int64)  # (torch's: each start adds 1, from bag 0)
    np.add.at(bag_of, starts[1:][starts[1:] < index.size], 1)
    bag_of = np.cumsum(bag_of)
    kept = np.ones(index.size, bool) if padding_idx is None else \
        index != int(padding_idx) % _raw(weight).shape[0]
    counts = np.bincount(bag_of[kept], minlength=bags)[:bags].astype(np.int64)
    sizes = np.zeros(bags, np.int64) if mode == "sum" else counts
    if mode == "max":
        rows = np.zeros(out.shape, np.int64)
        table = np.asarray(_raw(weight))
        for bag in range(bags):
            members = index[(bag_of == bag) & kept]
            if members.size:
                rows[bag] = members[np.argmax(table[members], axis=0)]
    else:
        rows = sizes.copy()
    return (out, _constant(bag_of), _constant(sizes), _constant(rows))


# -- integer functions: no gradient --------------------------------------------------------
def _integers(name: str, *operands: Any, bools: bool = True) -> tuple:
    """The operands' values, integers or bools broadcast together (two bools refused where
    not `bools`); a Python int met by an integer tensor takes its dtype (wrapped, as
    torch's); floats refused."""
    values = [value if isinstance(value, (bool, int, np.integer, np.bool_)) else
              _values(name, value) for value in operands]
    for k, value in enumerate(values):
        dtype = np.asarray(value).dtype
        if dtype.kind not in "biu":
            raise NotImplementedError(
                f"{name}: not defined for dtype {dtype} (PyTorch's NotImplementedError too); "
                f"give integer or bool tensors (x.long())")
        partner = np.asarray(values[1 - k]) if len(values) == 2 else None
        if type(value) is int and partner is not None and partner.dtype.kind in "iu":
            values[k] = np.array(value).astype(partner.dtype)  # (int8 & 300: 300 wrapped)
    broadcast(name, *values)
    values = [np.asarray(value) for value in values]
    if not bools and np.result_type(*values) == bool:
        raise NotImplementedError(f"{name}: not defined for two bools (PyTorch's "
                                  f"NotImplementedError too); give integers (x.long())")
    return tuple(values)


def bitwise_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input & other per entry, of integers or bools (PyTorch's bitwise_and; `&`)."""
    return _constant(np.bitwise_and(*_integers("bitwise_and", input, other)))


def bitwise_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input | other per entry, of integers or bools (PyTorch's bitwise_or; `|`)."""
    return _constant(np.bitwise_or(*_integers("bitwise_or", input, other)))


def bitwise_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input ^ other per entry, of integers or bools (PyTorch's bitwise_xor; `^`)."""
    return _constant(np.bitwise_xor(*_integers("bitwise_xor", input, other)))


def bitwise_not(input: Any) -> Tensor:  # noqa: A002
    """~input per entry: each bit flipped, of integers; not, of bools (PyTorch's; `~`)."""
    (values,) = _integers("bitwise_not", input)
    return _constant(np.invert(values))


def _shifted(name: str, input: Any, other: Any, left: bool) -> Tensor:  # noqa: A002
    a, s = _integers(name, input, other, bools=False)
    dtype = np.result_type(a, s)
    a, s = a.astype(dtype), s.astype(dtype)
    fits = (s >= 0) & (s < dtype.itemsize * 8)  # (beyond: C's undefined, torch's 0 or -1)
    count = np.where(fits, s, 0)
    if left:
        return _constant(np.where(fits, np.left_shift(a, count), 0).astype(dtype))
    return _constant(np.where(fits, np.right_shift(a, count), np.where(a < 0, -1, 0))
                     .astype(dtype))


def bitwise_left_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input << other per entry, of integers (PyTorch's; `<<`): 0 where other is negative
    or at least the dtype's width in bits."""
    return _shifted("bitwise_left_shift", input, other, True)


def bitwise_right_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input >> other per entry, of integers, the sign kept (PyTorch's; `>>`): where other
    is negative or at least the dtype's width, 0 (-1 for a negative input)."""
    return _shifted("bitwise_right_shift", input, other, False)


def gcd(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The greatest common divisor per entry, >= 0, of integers (PyTorch's and NumPy's gcd;
    gcd(0, 0) is 0)."""
    return _constant(np.gcd(*_integers("gcd", input, other, bools=False)))


def lcm(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The least common multiple per entry, >= 0, of integers (PyTorch's and NumPy's lcm;
    0 where either is 0)."""
    return _constant(np.lcm(*_integers("lcm", input, other, bools=False)))


# -- predicates: no gradient ----------------------------------------------------------------
def _predicate(name: str, test: Any, doc: str) -> Any:
    def function(input: Any) -> Tensor:  # noqa: A002
        values = _values(name, input)
        return _constant(test(values) if values.dtype.kind == "f" else
                         np.full(values.shape, name == "isreal"))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{doc}, a boolean tensor without gradient (PyTorch's {name})."
    return function


isposinf = _predicate("isposinf", np.isposinf, "Where input is +inf (never, of integers)")
isneginf = _predicate("isneginf", np.isneginf, "Where input is -inf (never, of integers)")
isreal = _predicate("isreal", np.isreal, "Where input is real: everywhere, as no dtype here "
                                         "is complex")


def _is_signed(self: Tensor) -> bool:
    """Whether the dtype holds negative values: floats and signed integers, not uint8 or
    bool (PyTorch's Tensor.is_signed)."""
    return self.dtype.kind in "fi"


# -- in the graph ---------------------------------------------------------------------------
def adjoint(input: Any) -> Tensor:  # noqa: A002
    """The last two axes swapped (PyTorch's adjoint, the conjugate transpose: the values are
    real here), in the graph; a 0-d tensor as it is."""
    x = _as_tensor("adjoint", input)
    if x.ndim == 1:
        raise RuntimeError("adjoint: is only defined for matrices or batches of matrices, got "
                           "a 1-D tensor; reshape it first (x.reshape(1, -1) for a row)")
    return x if x.ndim == 0 else x.mT


def _flat_write(x: Tensor, positions: np.ndarray, src: Tensor, accumulate: bool = False
                ) -> Tensor:
    """x with src written at the flat `positions` (src of their shape): the op scatter (or
    scatter_add) on x.reshape(-1), so that x and src both get gradients."""
    flat = x.reshape(-1)
    index = Tensor.from_op(positions.reshape(-1).astype(np.int64), None)
    written = (flat.scatter_add if accumulate else flat.scatter)(0, index, src.reshape(-1))
    return written.reshape(x.shape)


def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0,  # noqa: A002
                     dim2: int = 1) -> Tensor:
    """input with its diagonal (`offset`, over axes dim1 and dim2, as `diagonal` reads it)
    replaced by src, of that diagonal's shape (PyTorch's diagonal_scatter); gradients for
    input (off that diagonal) and for src."""
    name = "diagonal_scatter"
    x = _as_tensor(name, input)
    src = _as_tensor(name, src, x, "src")
    offset = integer(name, "offset", offset)
    first, second = (one_axis(name, dim, x.ndim) % x.ndim for dim in (dim1, dim2))
    if first == second:
        raise RuntimeError(f"{name}: dim1 and dim2 are both axis {first}; give two different "
                           f"axes")
    positions = np.diagonal(np.arange(x.size).reshape(x.shape), offset, first, second)
    if src.shape != positions.shape:
        raise RuntimeError(f"{name}: src has shape {src.shape}, the diagonal it replaces "
                           f"(offset {offset}, axes {first} and {second}) has shape "
                           f"{positions.shape}; give src of that shape")
    return _flat_write(x, positions, src if src.dtype == x.dtype else src.to(x.dtype))


def index_put(input: Any, indices: Any, values: Any,  # noqa: A002
              accumulate: bool = False) -> Tensor:
    """input with `values` written at `input[indices]` (PyTorch's index_put: indices a
    tuple of integer or boolean tensors, values broadcast to the indexed shape and of
    input's dtype; accumulate=True adds them, repeated indices each adding), in the graph:
    gradients for input (where not overwritten) and for values."""
    name = "index_put"
    x = _as_tensor(name, input)
    accumulate = check_flag(name, "accumulate", accumulate)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}: indices must be a tuple of tensors (one per indexed axis), "
                        f"got {type(indices).__name__}; write (index,) for one")
    arrays = tuple(_values(name, index) for index in indices)
    for array in arrays:
        if array.dtype.kind not in "biu":
            raise IndexError(f"{name}: tensors used as indices must be integer or bool tensors,"
                             f" got dtype {array.dtype}")
    try:
        positions = np.arange(x.size).reshape(x.shape)[arrays]
    except IndexError as err:
        raise IndexError(f"{name}: {err} (indices into a tensor of shape {x.shape})") from None
    values = values if isinstance(values, Tensor) else _as_tensor(name, values, x, "values")
    if values.dtype != x.dtype:
        raise RuntimeError(f"{name}: values have dtype {values.dtype} but the tensor has "
                           f"dtype {x.dtype}; convert them first (values.to({x.dtype}))")
    if not fits(values.shape, positions.shape):
        raise RuntimeError(f"{name}: values of shape {values.shape} cannot be broadcast to the "
                           f"indexed shape {positions.shape}")
    return _flat_write(x, positions, values.broadcast_to(positions.shape), accumulate)


def index_put_(input: Any, indices: Any, values: Any,  # noqa: A002
               accumulate: bool = False) -> Tensor:
    """index_put's values written into input, returned (PyTorch's index_put_; as
    `t.add_`, a tensor requiring a gradient only under `tg.no_grad()`)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"index_put_: expected a tensor to write into, got "
                        f"{type(input).__name__}")
    return input.index_put_(indices, values, accumulate)


@refusing_as("true_divide", "div")
def true_divide(dividend: Any, divisor: Any) -> Tensor:
    """torch.true_divide: dividend / divisor, the op div; no rounding_mode (torch's takes
    none: `tg.div(x, y, rounding_mode=...)` rounds)."""
    return _as_tensor("true_divide", dividend) / divisor


def true_divide_(self: Tensor, other: Any) -> Tensor:
    """x.true_divide_(y): x /= y in place (`div_` without a rounding_mode, as torch's)."""
    return self.div_(other)


def mm(input: Any, mat2: Any) -> Tensor:  # noqa: A002  (torch's names)
    """torch.mm: the product of two matrices, (n, m) @ (m, p); `matmul` in the graph. Any
    other number of axes is refused (matmul (@) takes vectors and batches)."""
    matrix_product("mm", input, mat2)
    return _as_tensor("mm", input) @ _as_tensor("mm", mat2, what="mat2")


def bmm(input: Any, mat2: Any) -> Tensor:  # noqa: A002  (torch's names)
    """torch.bmm: b products of matrices, (b, n, m) @ (b, m, p) -> (b, n, p); `matmul` in
    the graph. Operands of other shapes are refused: no broadcast, as torch's."""
    return _batches("bmm", input, mat2)


def _method(function: Any) -> Any:
    """The `tg.` function `function(input, ...)` as the Tensor method `x.function(...)`;
    one that refuses as called (refusing_as) itself, which methods_counting_self then
    replaces by its twin that counts a wrong number of arguments without the tensor."""
    if getattr(function, "method_twin", None) is not None:
        return function

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return function(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = function.__name__
    method.__doc__ = function.__doc__
    method.__wrapped__ = function  # (its parameters, which an in-place form's count reads)
    return method


def convolution(input: Any, weight: Any, bias: Any, stride: Any, padding: Any,  # noqa: A002
                dilation: Any, transposed: bool, output_padding: Any, groups: int) -> Tensor:
    """torch.convolution: F.conv1d, conv2d or conv3d (F.conv_transpose1d to 3d where
    `transposed`), by weight's axes (3 to 5), every argument given, as torch's."""
    kernel = _as_tensor("convolution", weight, what="weight")
    if kernel.ndim not in (3, 4, 5):
        raise ValueError(f"convolution: weight must have 3, 4 or 5 axes (a 1-d, 2-d or 3-d "
                         f"convolution's), got shape {kernel.shape}")
    n = kernel.ndim - 2
    if check_flag("convolution", "transposed", transposed):
        return getattr(F, f"conv_transpose{n}d")(input, kernel, bias, stride, padding,
                                                 output_padding, groups, dilation)
    return getattr(F, f"conv{n}d")(input, kernel, bias, stride, padding, dilation, groups)


def frobenius_norm(input: Any, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """torch.frobenius_norm: sqrt of the sum of squares over the axes `dim` (an int or a
    tuple), tg.linalg.vector_norm's 2-norm (torch's own asks for dim)."""
    return linalg.vector_norm(input, 2, dim, keepdim)


@refusing_as("nuclear_norm", "matrix_norm")
def nuclear_norm(input: Any, dim: Any = None, keepdim: bool | None = None  # noqa: A002
                 ) -> Tensor:
    """torch.nuclear_norm: the sum of the singular values over the two axes `dim` (the last
    two when left out: each matrix of a batch), tg.linalg.matrix_norm(input, "nuc", dim);
    as torch's, `nuclear_norm(x, True)` is keepdim=True (keepdim is False unless given)."""
    if isinstance(dim, bool):  # (torch's other form: nuclear_norm(input, keepdim))
        if keepdim is not None:
            raise TypeError(f"nuclear_norm: dim={dim} is keepdim in torch's form "
                            f"nuclear_norm(input, keepdim), so keepdim={keepdim!r} cannot "
                            f"follow it; give nuclear_norm(x, keepdim={dim}) or a dim tuple")
        dim, keepdim = None, dim
    try:  # (a ragged list, a string: matrix_norm's own refusal)
        shape = np.shape(getattr(input, "_data", input)) if isinstance(
            input, (Tensor, np.ndarray, np.generic, int, float, list, tuple)) else None
    except ValueError:
        shape = None
    if shape is not None and len(shape) < 2:  # (matrix_norm's words name it A)
        raise ValueError(f"nuclear_norm: input must have at least 2 dimensions (a matrix or a "
                         f"batch of them), got shape {shape}")
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim,
                              False if keepdim is None else keepdim)


@refusing_as("row_stack", "vstack")
def row_stack(tensors: Any) -> Tensor:
    """torch.row_stack, vstack's other name: the tensors stacked row-wise (1-d ones as rows)."""
    if not isinstance(tensors, (list, tuple)):  # (vstack's words would say vstack([a, b]))
        raise TypeError(f"row_stack: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}; wrap them in a list: row_stack([a, b])")
    return vstack(tensors)


def is_signed(input: Any) -> bool:  # noqa: A002
    """torch.is_signed: input.is_signed()."""
    return _tensor("is_signed", input).is_signed()


def is_neg(input: Any) -> bool:  # noqa: A002
    """torch.is_neg: input.is_neg(), False (no lazily negated tensors here)."""
    return _tensor("is_neg", input).is_neg()


def get_device(input: Any) -> int:  # noqa: A002
    """torch.get_device: input.get_device(), -1 (the CPU)."""
    return _tensor("get_device", input).get_device()


def is_distributed(input: Any) -> bool:  # noqa: A002
    """torch.is_distributed: input.is_distributed(), False."""
    return _tensor("is_distributed", input).is_distributed()


def _operator(function: Any, swapped: bool = False) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return function(other, self) if swapped else function(self, other)
    method.__name__ = method.__qualname__ = function.__name__
    return method


for _function in (bitwise_and, bitwise_or, bitwise_xor, bitwise_not, bitwise_left_shift,
                  bitwise_right_shift, gcd, lcm, isposinf, isneginf, isreal, true_divide, mm,
                  bmm, adjoint, diagonal_scatter, index_put):
    setattr(Tensor, _function.__name__, _method(_function))
Tensor.is_signed = named(_is_signed, "is_signed", Tensor)
Tensor.true_divide_ = refusing_in_place("true_divide_", true_divide_, "div_", "div")
Tensor.index_put_ = _from_op("index_put_")
Tensor.__lshift__, Tensor.__rlshift__ = (_operator(bitwise_left_shift),
                                         _operator(bitwise_left_shift, True))
Tensor.__rshift__, Tensor.__rrshift__ = (_operator(bitwise_right_shift),
                                         _operator(bitwise_right_shift, True))
_add_in_place()  # (bitwise_and_, gcd_, ...: PyTorch's in-place spellings of the above)

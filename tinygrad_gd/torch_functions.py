"""The `tg.` functions a PyTorch or NumPy user guesses for what is already a Tensor method,
an op or an `F` function, and the Tensor methods PyTorch has for what is a `tg.` function.

Each calls the existing implementation (its gradient and errors, a refusal said of the name
called: `tg.rsub` says "rsub: ...", not "sub: ..."): `tg.gt(x, y)` is `x > y`,
`tg.concat` is `tg.cat`, `tg.diagflat(x)` is `diag` of `x.ravel()`, `tg.float_power` is `pow`
in float64, `tg.rsub(x, y)` is `y - x`. PyTorch's top-level neural-network functions are F's
under torch's top-level signatures, which can differ: `tg.dropout(input, p, train)` has no
defaults, `tg.embedding(weight, indices)` and `tg.batch_norm(input, weight, bias,
running_mean, ...)` take another order, the losses take torch's integer `reduction` (0
'none', torch's default there, 1 'mean', 2 'sum'; or the names), `tg.adaptive_max_pool1d`
gives values and indices. Tensor methods: aliases (`x.greater(y)` is `x.gt(y)`), the
functions above (`x.hsplit(2)`), and PyTorch's in-place spellings (`x.cos_()`) where the
plain method exists (in_place.py's; their other names, `x.divide_()`, are alias_methods.py's).
"""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from . import creation, functional, random
from .alias_methods import clamp_max, clamp_min, refusing_in_place
from .compositions import _at_least, tensor_split
from .grad_mode import check_flag
from .in_place import _from_op
from .logic import _constant
from .op_errors import named, refusing_as
from .nn import functional as F
from .ops.arguments import broadcast, integer, ints, one_axis, tensor_sequence
from .properties import _tensor, get_default_dtype, is_complex, is_nonzero, is_same_size
from .registry import on_register
from .scope import drawn_as_call
from .tensor import Tensor, _as_array, to_tensor
from .values import check_cpu

__all__ = ["gt", "lt", "ge", "le", "eq", "ne", "greater", "less", "greater_equal", "less_equal",
           "not_equal", "detach", "t", "ravel", "unbind", "select", "concat", "broadcast_tensors",
           "broadcast_shapes", "atleast_1d", "atleast_2d", "atleast_3d", "clamp_min", "clamp_max",
           "positive", "rsub", "signbit", "float_power", "diagflat", "msort", "hsplit", "vsplit",
           "dsplit", "split_with_sizes", "scalar_tensor", "conj", "real", "relu_", "dropout",
           "alpha_dropout", "feature_alpha_dropout", "embedding", "layer_norm", "group_norm",
           "batch_norm", "instance_norm", "rms_norm", "cosine_similarity", "pairwise_distance",
           "pdist", "conv1d", "conv_transpose1d", "conv_transpose2d", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "bilinear", "prelu",
           "selu", "rrelu", "hardshrink", "threshold", "adaptive_avg_pool1d", "adaptive_max_pool1d",
           "avg_pool1d", "max_pool1d", "max_pool1d_with_indices", "constant_pad_nd", "ctc_loss",
           "kl_div", "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "poisson_nll_loss", "binary_cross_entropy_with_logits"]


def _comparison(name: str, method: str, what: str) -> Any:
    def compare(input: Any, other: Any) -> Tensor:  # noqa: A002  (PyTorch's names)
        return getattr(to_tensor(input), method)(other)
    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (f"Where input {what} other, broadcast: a boolean tensor without "
                       f"gradient (PyTorch's {name}; `input.{method}(other)`).")
    return compare


gt = _comparison("gt", "gt", ">")
greater = _comparison("greater", "greater", ">")
lt = _comparison("lt", "lt", "<")
less = _comparison("less", "less", "<")
ge = _comparison("ge", "ge", ">=")
greater_equal = _comparison("greater_equal", "greater_equal", ">=")
le = _comparison("le", "le", "<=")
less_equal = _comparison("less_equal", "less_equal", "<=")
eq = _comparison("eq", "eq", "==")
ne = _comparison("ne", "ne", "!=")
not_equal = _comparison("not_equal", "not_equal", "!=")


def _calling(name: str, doc: str) -> Any:
    def function(input: Any) -> Tensor:  # noqa: A002
        value = getattr(to_tensor(input), name)
        return value() if callable(value) else value  # (x.real is a property)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{doc} (PyTorch's {name}; `input.{name}()`)."
    return function


detach = _calling("detach", "A new tensor of input's values, outside any graph")
t = _calling("t", "A matrix transposed; a vector or 0-d tensor as it is")
ravel = _calling("ravel", "The values as one axis: the op `reshape`")
conj = _calling("conj", "input itself: the values are real")
real = _calling("real", "input itself: the values are real")


def unbind(input: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The entries along `dim`, each with that axis removed (PyTorch's unbind)."""
    return to_tensor(input).unbind(dim)


def select(input: Any, dim: Any, index: Any) -> Tensor:  # noqa: A002
    """Entry `index` along `dim`, that axis removed (PyTorch's select; NumPy's np.select is
    another function: tg.where chooses between tensors)."""
    return to_tensor(input).select(dim, index)


@refusing_as("concat", "cat", "concatenate")
def concat(tensors: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Tensors joined along an existing axis (PyTorch's concat, its other name of cat): the
    op `concatenate`."""
    return functional.cat(tensors, axis, dim=dim)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape tensors of these shapes broadcast to (PyTorch's and NumPy's
    broadcast_shapes); an int is a shape of one axis."""
    sizes = [ints("broadcast_shapes", (s,)) for s in shapes]
    try:
        return tuple(int(n) for n in np.broadcast_shapes(*sizes))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {', '.join(map(str, sizes))} do not "
                           f"broadcast together (compared from the last axis, each pair of "
                           f"sizes must be equal or one of them 1)") from None


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """The tensors broadcast to one shape, in the graph (PyTorch's broadcast_tensors, NumPy's
    broadcast_arrays): the op `broadcast_to` where a shape changes."""
    xs = [to_tensor(x) for x in tensors]
    try:
        shape = broadcast_shapes(*(x.shape for x in xs))
    except RuntimeError as err:
        raise RuntimeError(str(err).replace("broadcast_shapes", "broadcast_tensors")) from None
    return tuple(x if x.shape == shape else x.broadcast_to(shape) for x in xs)


def _at_least_n(name: str, ndim: int, where: tuple[int, ...], tensors: tuple) -> Any:
    """One tensor for one given, else a tuple (PyTorch's and NumPy's rule); a list or tuple
    of tensors as the only argument counts as several."""
    several = len(tensors) == 1 and isinstance(tensors[0], (list, tuple))
    xs = tensor_sequence(name, tensors[0]) if several else tensors
    out = tuple(_at_least(to_tensor(x), ndim, where) for x in xs)
    return out[0] if len(out) == 1 and not several else out


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 axis (a 0-d one as shape (1,)): the op `reshape`."""
    return _at_least_n("atleast_1d", 1, (0,), tensors)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 axes (a vector of n as a row (1, n)): the op `reshape`."""
    return _at_least_n("atleast_2d", 2, (0, 1), tensors)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 axes (a vector as (1, n, 1), a matrix (m, n) as
    (m, n, 1), NumPy's and PyTorch's rule): the op `reshape`."""
    return _at_least_n("atleast_3d", 3, (0, 1, 0), tensors)


def positive(input: Any) -> Tensor:  # noqa: A002
    """input itself (PyTorch's positive, NumPy's +x); a bool tensor refused, as PyTorch's."""
    if (x := to_tensor(input)).dtype == bool:
        raise RuntimeError("positive: the + operator on a bool tensor is not supported; "
                           "convert it first (x.long() or x.float())")
    return x


@refusing_as("rsub", "sub")
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """other - alpha * input (PyTorch's rsub, subtraction with the operands reversed): the
    ops mul and sub. Shapes that do not broadcast, and a None, are named in the order given
    (sub's own refusals would name other first)."""
    if input is None or other is None:
        k, name = (1, "input") if input is None else (2, "other")
        raise TypeError(f"rsub: input {k} of 2 ({name}) is None, not a tensor or number; give "
                        f"a tensor or a number")
    broadcast("rsub", input, other)
    return functional.sub(other, input, alpha=alpha)


def signbit(input: Any) -> Tensor:  # noqa: A002
    """Where the sign bit is set (negative numbers and -0.0), a boolean tensor without
    gradient (PyTorch's and NumPy's signbit)."""
    return _constant(np.signbit(_as_array(input, None, "signbit", copy=False, default=None)))


@refusing_as("float_power", "pow", "to")
def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64, whatever the dtypes (PyTorch's and NumPy's
    float_power): the ops `to` and `pow`, the gradient back in each input's dtype."""
    base = input.to(np.float64) if isinstance(input, Tensor) else Tensor(input, dtype=np.float64)
    return base ** (exponent.to(np.float64) if isinstance(exponent, Tensor) else exponent)


@refusing_as("diagflat", "diag", "reshape")
def diagflat(input: Any, offset: Any = 0, *, k: Any = None) -> Tensor:  # noqa: A002
    """A square matrix with input's values (flattened) on diagonal `offset` (PyTorch's
    offset=, NumPy's k=): the ops reshape and diag."""
    if k is not None:
        if offset != 0:
            raise TypeError("diagflat: give offset= (PyTorch's) or k= (NumPy's), not both")
        offset = k
    return functional.diag(to_tensor(input).reshape(-1), offset)


def msort(input: Any) -> Tensor:  # noqa: A002
    """The values sorted along axis 0 (PyTorch's msort): the op `sort`."""
    x = to_tensor(input)
    return x.clone() if x.ndim == 0 else functional.sort(x, axis=0)


def _splitting(name: str, axis: int, least: int, doc: str) -> Any:
    def function(input: Any, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
        return _split(name, to_tensor(input), indices_or_sections, axis, least)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"input{doc} cut along axis {axis} into equal sections (an int) or at "
                        f"the indices (PyTorch's and NumPy's {name}): `tensor_split`.")
    return refusing_as(name, "tensor_split")(function)


def _split(name: str, x: Tensor, indices_or_sections: Any, axis: int, least: int) -> tuple:
    if x.ndim < least:
        raise RuntimeError(f"{name}: needs a tensor of at least {least} axes, got shape "
                           f"{x.shape}")
    axis = 0 if name == "hsplit" and x.ndim == 1 else axis
    cuts = indices_or_sections
    if isinstance(cuts, (int, np.integer)) and not isinstance(cuts, bool):
        if cuts <= 0 or x.shape[axis] % cuts:
            raise RuntimeError(f"{name}: axis {axis} of length {x.shape[axis]} (shape "
                               f"{x.shape}) cannot be split into {cuts} equal sections; give "
                               f"a divisor of {x.shape[axis]}, or a list of indices")
    return tensor_split(x, cuts, axis)


hsplit = _splitting("hsplit", 1, 1, " (a vector: along axis 0)")
vsplit = _splitting("vsplit", 0, 2, " (2 axes or more)")
dsplit = _splitting("dsplit", 2, 3, " (3 axes or more)")


def split_with_sizes(input: Any, split_sizes: Any,  # noqa: A002
                     dim: Any = 0) -> tuple[Tensor, ...]:
    """input cut along `dim` into pieces of `split_sizes`, which add up to its length
    (PyTorch's split_with_sizes): the op `split`."""
    x = to_tensor(input)
    axis = one_axis("split_with_sizes", dim, x.ndim) % max(x.ndim, 1)
    sizes = ints("split_with_sizes", (split_sizes,))
    if any(n < 0 for n in sizes) or sum(sizes) != x.shape[axis]:
        raise RuntimeError(f"split_with_sizes: split_sizes {list(sizes)} must be sizes >= 0 "
                           f"adding up to {x.shape[axis]}, the length of axis {axis} of shape "
                           f"{x.shape}")
    return x.split(list(sizes), axis)


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor of the number `s`, of the default float dtype unless `dtype` is given
    (PyTorch's scalar_tensor: an int gives a float tensor too)."""
    check_cpu(device, "scalar_tensor")
    value = s._data if isinstance(s, Tensor) else s
    if not isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating, np.ndarray)) \
            or np.ndim(value):
        raise TypeError(f"scalar_tensor: s must be a number, got {type(s).__name__} {s!r:.40}")
    return creation.tensor(value, get_default_dtype() if dtype is None else dtype,
                           requires_grad)


def relu_(input: Any) -> Tensor:  # noqa: A002
    """max(input, 0) written into input, returned (PyTorch's relu_; `input.relu_()`)."""
    return _tensor("relu_", input).relu_()


# -- PyTorch's top-level neural-network functions: F's, under torch's signatures -------------
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}  # torch's integer codes (at::Reduction)


def _reduction(name: str, reduction: Any) -> str:
    """torch's integer reduction as F's name ('none', 'mean' or 'sum' accepted as they are)."""
    if isinstance(reduction, str):
        return reduction  # (F checks the name)
    code = integer(name, "reduction (0 none, 1 mean, 2 sum; or the name)", reduction)
    if code not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 0 (none), 1 (mean) or 2 (sum), as torch's, "
                         f"or 'none', 'mean' or 'sum', got {reduction!r:.40}")
    return _REDUCTIONS[code]


def _dropout(name: str) -> Any:
    def function(input: Any, p: float, train: bool) -> Tensor:  # noqa: A002
        return getattr(F, name)(input, p, training=check_flag(name, "train", train))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"F.{name}(input, p, training=train) (torch.{name}: no defaults)."
    return function


dropout, alpha_dropout, feature_alpha_dropout = map(_dropout, (
    "dropout", "alpha_dropout", "feature_alpha_dropout"))


def embedding(weight: Any, indices: Any, padding_idx: Any = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of `weight` at `indices` (torch.embedding: weight first; F.embedding(indices,
    weight) is the same). padding_idx < 0 is none (torch's -1); that row gets no gradient.
    scale_grad_by_freq: as F.embedding's; sparse=True is refused."""
    if check_flag("embedding", "sparse", sparse):
        raise NotImplementedError("embedding: sparse=True is not supported; leave it False "
                                  "(dense gradients)")
    padding_idx = integer("embedding", "padding_idx (-1: none)", padding_idx)
    return F.embedding(indices, weight, padding_idx=None if padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq)


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None,  # noqa: A002
               bias: Any = None, eps: float = 1e-05, cudnn_enable: bool = True) -> Tensor:
    """F.layer_norm (torch.layer_norm; cudnn_enable is accepted and means nothing here)."""
    return F.layer_norm(input, normalized_shape, weight=weight, bias=bias, eps=eps)


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-05, cudnn_enabled: bool = True) -> Tensor:
    """F.group_norm (torch.group_norm; cudnn_enabled is accepted and means nothing here)."""
    return F.group_norm(input, num_groups, weight=weight, bias=bias, eps=eps)


def batch_norm(input: Any, weight: Any, bias: Any, running_mean: Any,  # noqa: A002
               running_var: Any, training: bool, momentum: float, eps: float,
               cudnn_enabled: bool) -> Tensor:
    """F.batch_norm, under torch.batch_norm's order (weight and bias before the running
    statistics; every argument given)."""
    return F.batch_norm(input, running_mean, running_var, weight=weight, bias=bias,
                        training=training, momentum=momentum, eps=eps)


def instance_norm(input: Any, weight: Any, bias: Any, running_mean: Any,  # noqa: A002
                  running_var: Any, use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    """F.instance_norm, under torch.instance_norm's order (weight and bias first)."""
    return F.instance_norm(input, running_mean, running_var, weight=weight, bias=bias,
                           use_input_stats=use_input_stats, momentum=momentum, eps=eps)


def rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, generator: Any = None) -> Tensor:
    """F.rrelu (torch.rrelu: its fifth argument is the generator, not inplace)."""
    return F.rrelu(input, lower, upper, training=training, generator=generator)


def adaptive_max_pool1d(input: Any, output_size: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The values and indices of F.adaptive_max_pool1d (torch's top-level one gives both)."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def _stride(stride: Any) -> Any:
    return None if isinstance(stride, (list, tuple)) and not stride else stride  # (torch's [])


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """F.avg_pool1d (torch.avg_pool1d; stride None or [] is the kernel size)."""
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode=ceil_mode,
                        count_include_pad=count_include_pad)


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """F.max_pool1d's values (torch.max_pool1d; stride None or [] is the kernel size)."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation,
                        ceil_mode=ceil_mode)


def max_pool1d_with_indices(input: Any, kernel_size: Any, stride: Any = None,  # noqa: A002
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False) -> tuple[Tensor, Tensor]:
    """F.max_pool1d's values and indices (torch.max_pool1d_with_indices)."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation,
                        ceil_mode=ceil_mode, return_indices=True)


@refusing_as("constant_pad_nd", "pad")
def constant_pad_nd(input: Any, pad: Any, value: Any = 0) -> Tensor:  # noqa: A002
    """F.pad(input, pad, "constant", value) (torch.constant_pad_nd; negative pads crop)."""
    return F.pad(input, pad, mode="constant", value=value)


def _top_level_loss(loss: Any, *names: str, **defaults: Any) -> Any:
    """F's `loss` under torch's top-level signature: the arguments `names` (in torch's order;
    "*name" keyword-only) bound, then passed by keyword, reduction as torch's integer too,
    0 ('none') by default: torch's top-level losses give one loss per entry unless told."""
    kinds = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
    signature = inspect.Signature([inspect.Parameter(
        n.lstrip("*"), kinds[n[0] == "*"], default=defaults.get(n.lstrip("*"),
                                                                  inspect.Parameter.empty))
        for n in names])

    def function(*args: Any, **kwargs: Any) -> Tensor:
        try:
            arguments = signature.bind(*args, **kwargs).arguments
        except TypeError as err:
            raise TypeError(f"{loss.__name__}: {err}") from None
        arguments["reduction"] = _reduction(loss.__name__, arguments.get("reduction", 0))
        return loss(**arguments)
    function.__name__ = function.__qualname__ = loss.__name__
    function.__doc__ = f"F.{loss.__name__}, reduction as torch's integer (0, 1, 2) or name."
    function.__signature__ = signature
    return function


ctc_loss = _top_level_loss(F.ctc_loss, "log_probs", "targets", "input_lengths",
                           "target_lengths", "blank", "reduction", "zero_infinity", blank=0,
                           reduction=0, zero_infinity=False)
kl_div = _top_level_loss(F.kl_div, "input", "target", "reduction", "*log_target", reduction=0,
                         log_target=False)
margin_ranking_loss = _top_level_loss(F.margin_ranking_loss, "input1", "input2", "target",
                                      "margin", "reduction", margin=0.0, reduction=0)
hinge_embedding_loss = _top_level_loss(F.hinge_embedding_loss, "input", "target", "margin",
                                       "reduction", margin=1.0, reduction=0)
cosine_embedding_loss = _top_level_loss(F.cosine_embedding_loss, "input1", "input2", "target",
                                        "margin", "reduction", margin=0.0, reduction=0)
triplet_margin_loss = _top_level_loss(
    F.triplet_margin_loss, "anchor", "positive", "negative", "margin", "p", "eps", "swap",
    "reduction", margin=1.0, p=2.0, eps=1e-06, swap=False, reduction=0)
poisson_nll_loss = _top_level_loss(F.poisson_nll_loss, "input", "target", "log_input", "full",
                                   "eps", "reduction")
# (drawn as called, binary_cross_entropy_with_logits(), not as F's)
binary_cross_entropy_with_logits = drawn_as_call("binary_cross_entropy_with_logits()")(
    _top_level_loss(F.binary_cross_entropy_with_logits, "input", "target", "weight",
                    "pos_weight", "reduction", weight=None, pos_weight=None, reduction=0))


# F's own, where torch's top-level signature is F's (F's extra trailing inplace= aside)
rms_norm, cosine_similarity, pairwise_distance, pdist = (
    F.rms_norm, F.cosine_similarity, F.pairwise_distance, F.pdist)
conv1d, conv_transpose1d, conv_transpose2d = F.conv1d, F.conv_transpose1d, F.conv_transpose2d
pixel_shuffle, pixel_unshuffle, channel_shuffle = (F.pixel_shuffle, F.pixel_unshuffle,
                                                   F.channel_shuffle)
native_channel_shuffle, bilinear, prelu, selu = (F.native_channel_shuffle, F.bilinear,
                                                 F.prelu, F.selu)
hardshrink, threshold, adaptive_avg_pool1d = F.hardshrink, F.threshold, F.adaptive_avg_pool1d


# -- Tensor methods PyTorch has for these functions, and its other spellings --------------
def _where(self: Tensor, condition: Any, other: Any) -> Tensor:
    """x where `condition` holds, else other (PyTorch's x.where(condition, other)): the op
    `where`."""
    return functional.where(condition, self, other)


def _sum_to_size(self: Tensor, *size: Any) -> Tensor:
    """x summed down to `size`, a shape x broadcasts from (PyTorch's sum_to_size): the op
    `sum` over the leading axes and those of length 1 in `size`."""
    target = ints("sum_to_size", size)
    lead = self.ndim - len(target)
    if lead < 0 or any(n != m and n != 1 for n, m in zip(target, self.shape[lead:])):
        raise RuntimeError(f"sum_to_size: size {target} is not expandable to the tensor's "
                           f"shape {self.shape}; give a shape it broadcasts to")
    kept = tuple(lead + k for k, n in enumerate(target) if n == 1 and self.shape[lead + k] != 1)
    out = self.sum(axis=kept, keepdims=True) if kept else self
    return out.sum(axis=tuple(range(lead))) if lead else out


_METHODS = {"absolute": functional.absolute,
            "multinomial": random.multinomial,
            "where": _where, "ndimension": Tensor.dim, "sum_to_size": _sum_to_size,
            "is_nonzero": is_nonzero, "is_same_size": is_same_size, "is_complex": is_complex,
            "positive": positive, "signbit": signbit, "float_power": float_power,
            "diagflat": diagflat, "msort": msort, "hsplit": hsplit, "vsplit": vsplit,
            "dsplit": dsplit,
            "split_with_sizes": split_with_sizes, "hardshrink": F.hardshrink,
            "prelu": F.prelu}  # (PyTorch's other names of in-place forms: alias_methods.py)
for _name, _method in _METHODS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, named(_method, _name, Tensor))

# PyTorch's in-place spellings that keep the shape, each set where the plain method exists
_IN_PLACE = ("acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
             "arctan2_", "arctanh_", "asin_", "asinh_", "atan_", "atan2_", "atanh_", "cos_",
             "cosh_", "sin_", "sinh_", "tan_", "sinc_", "deg2rad_", "rad2deg_", "exp2_",
             "expm1_", "log10_", "log1p_", "log2_", "rsqrt_", "sgn_", "trunc_", "fix_", "frac_",
             "copysign_", "fmod_", "remainder_", "hypot_", "heaviside_", "xlogy_", "logit_",
             "nan_to_num_", "lerp_", "addcmul_", "addcdiv_", "addmm_", "addmv_", "addr_",
             "addbmm_", "baddbmm_", "floor_divide_", "cumsum_", "cumprod_", "tril_", "triu_",
             "renorm_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_",
             "greater_equal_", "less_equal_", "not_equal_", "logical_and_", "logical_or_",
             "logical_xor_", "logical_not_", "bitwise_and_", "bitwise_or_", "bitwise_xor_",
             "bitwise_not_", "bitwise_left_shift_", "bitwise_right_shift_", "gcd_", "lcm_",
             "ldexp_", "nextafter_", "erf_", "erfc_", "erfinv_", "lgamma_", "digamma_",
             "polygamma_", "mvlgamma_", "i0_", "igamma_", "igammac_", "xlog1py_")


def _add_in_place(op: Any = None, previous: Any = None) -> None:
    """Each in-place spelling whose plain method exists, now and when an op registers (a
    user's op with methods=("xlog1py",) makes xlog1py_), refusing under its own name as the
    others do (alias_methods.respell_in_place_forms wraps those made before it ran)."""
    for name in _IN_PLACE:
        if hasattr(Tensor, name[:-1]) and not hasattr(Tensor, name):
            setattr(Tensor, name, refusing_in_place(name, _from_op(name)))


on_register(_add_in_place)  # (calls it now too)

"""PyTorch's top-level in-place functions: `tg.exp_(x)` is `x.exp_()`, `tg.clamp_(x, 0, 1)`
is `x.clamp_(0, 1)`, ..., for each in-place method PyTorch also has at its top level
(torch.exp_, torch.sigmoid_, torch.fill_, ...). Each writes into its input, a tensor (any
other value refused in one line), and returns it; in the graph it is the method's op, its
gradient the method's. Python's count of a wrong number of arguments is the user's (each
has PyTorch's signature); any other refusal is the method's, under the same name.
"""
from __future__ import annotations

from typing import Any, Callable

from .properties import _tensor
from .tensor import Tensor

# those that take the tensor alone
_UNARY = ("abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
          "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "cos_", "cosh_",
          "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fix_",
          "floor_", "frac_", "i0_", "log10_", "log1p_", "log2_", "log_", "neg_", "negative_",
          "rad2deg_", "reciprocal_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_",
          "square_", "tan_", "tanh_", "trunc_")
# those that take the tensor and one other (a tensor or a number)
_BINARY = ("gcd_", "lcm_", "ldexp_", "xlogy_")

__all__ = [*_UNARY, *_BINARY, "clamp_", "clip_", "clamp_min_", "clamp_max_", "fill_",
           "logit_", "nan_to_num_", "round_", "addmv_", "as_strided_"]


def _unary(name: str) -> Callable[[Any], Tensor]:
    def function(input: Any) -> Tensor:  # noqa: A002  (PyTorch's names)
        return getattr(_tensor(name, input), name)()
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`input.{name}()`, PyTorch's torch.{name}: input written, returned."
    return function


def _binary(name: str) -> Callable[[Any, Any], Tensor]:
    def function(input: Any, other: Any) -> Tensor:  # noqa: A002
        return getattr(_tensor(name, input), name)(other)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"`input.{name}(other)`, PyTorch's torch.{name}: input written, "
                        f"returned.")
    return function


globals().update({name: _unary(name) for name in _UNARY})
globals().update({name: _binary(name) for name in _BINARY})


def clamp_(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """`input.clamp_(min, max)` (PyTorch's torch.clamp_): input written, returned."""
    return _tensor("clamp_", input).clamp_(min, max)


def clip_(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """`input.clip_(min, max)` (PyTorch's torch.clip_): input written, returned."""
    return _tensor("clip_", input).clip_(min, max)


def clamp_min_(input: Any, min: Any) -> Tensor:  # noqa: A002
    """`input.clamp_min_(min)` (PyTorch's torch.clamp_min_): input written, returned."""
    return _tensor("clamp_min_", input).clamp_min_(min)


def clamp_max_(input: Any, max: Any) -> Tensor:  # noqa: A002
    """`input.clamp_max_(max)` (PyTorch's torch.clamp_max_): input written, returned."""
    return _tensor("clamp_max_", input).clamp_max_(max)


def fill_(input: Any, value: Any) -> Tensor:  # noqa: A002
    """`input.fill_(value)` (PyTorch's torch.fill_): input written, returned."""
    return _tensor("fill_", input).fill_(value)


def logit_(input: Any, eps: Any = None) -> Tensor:  # noqa: A002
    """`input.logit_(eps)` (PyTorch's torch.logit_): input written, returned."""
    return _tensor("logit_", input).logit_(eps)


def nan_to_num_(input: Any, nan: Any = 0.0, posinf: Any = None,  # noqa: A002
                neginf: Any = None) -> Tensor:
    """`input.nan_to_num_(nan, posinf, neginf)` (PyTorch's torch.nan_to_num_)."""
    return _tensor("nan_to_num_", input).nan_to_num_(nan, posinf, neginf)


def round_(input: Any, *, decimals: Any = 0) -> Tensor:  # noqa: A002
    """`input.round_(decimals=decimals)` (PyTorch's torch.round_): input written, returned."""
    return _tensor("round_", input).round_(decimals=decimals)


def addmv_(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1  # noqa: A002
           ) -> Tensor:
    """`input.addmv_(mat, vec, beta=, alpha=)` (PyTorch's torch.addmv_): beta input +
    alpha mat @ vec written into input, returned."""
    return _tensor("addmv_", input).addmv_(mat, vec, beta=beta, alpha=alpha)


def as_strided_(input: Any, size: Any, stride: Any,  # noqa: A002
                storage_offset: Any = None) -> Tensor:
    """`input.as_strided_(size, stride, storage_offset)` (PyTorch's torch.as_strided_)."""
    return _tensor("as_strided_", input).as_strided_(size, stride, storage_offset)

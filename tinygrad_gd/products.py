"""Products, determinants and power-of-two scalings PyTorch has as one name, made of
registered ops here (PyTorch's names, argument order and defaults).

Products: `mv` (matrix @ vector), `inner` (over the last axes: tensordot), `vdot` and
`ger` (outer's old name) of 1-D tensors, `addmv`, `addr`, `addbmm` and `baddbmm`
(beta * input + alpha * a product, as `addmm`: beta=0 ignores input, NaN too), and
`chain_matmul` (linalg.multi_dot of its arguments). `renorm` scales each slice along
`dim` whose p-norm exceeds maxnorm down to it (vector_norm, where, mul). `logdet` and
`slogdet` are `linalg.slogdet`'s (logdet NaN where det < 0). `frexp` splits x into a
mantissa in [0.5, 1) and an int32 exponent, x = mantissa * 2**exponent; `ldexp` is
input * 2**other. Gradients come from `backward()`; each name PyTorch's Tensor has is a
method too (`A.mv(v)`, `x.frexp()`).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import functional, linalg
from .composed_reductions import vector_norm
from .errors import ShapeError
from .logic import _constant
from .op_errors import named
from .nn.layer_arguments import _as_tensor, _constant as _named_constant, _floated
from .ops.arguments import broadcast, number, one_axis
from .tensor import Tensor
from .values import _as_array

__all__ = ["mv", "inner", "vdot", "ger", "addmv", "addr", "addbmm", "baddbmm",
           "chain_matmul", "renorm", "logdet", "slogdet", "frexp", "ldexp"]


class FrexpResult(NamedTuple):
    """What `frexp` gives, as PyTorch's: `mantissa` (in the graph) and `exponent` (int32)."""

    mantissa: Any
    exponent: Any


def _shaped(name: str, what: str, value: Any, ndim: int, advice: str = "") -> Tensor:
    """An operand of `ndim` dimensions (1: a vector, 2: a matrix, 3: a batch), or one line
    (ending in `advice`, what to do, where given)."""
    t = _as_tensor(name, value, what=what)
    if t.ndim != ndim:
        kind = {1: "a 1-D vector", 2: "a 2-D matrix", 3: "a 3-D batch of matrices"}[ndim]
        raise ShapeError(f"{name}: expected {what} to be {kind}, got shape {t.shape}{advice}")
    return t


def _scaled_sum(name: str, input: Any, product: Tensor, beta: Any,  # noqa: A002
                alpha: Any) -> Tensor:
    """beta * input + alpha * product, input broadcast to the product's shape (beta = 0:
    input ignored, NaN and inf too, as PyTorch's)."""
    beta, alpha = number(name, "beta", beta), number(name, "alpha", alpha)
    base = _as_tensor(name, input)
    broadcast(name, base, to=product.shape)
    product = product if alpha == 1 else alpha * product
    if beta == 0:  # (0 * NaN would be NaN; in the graph with gradient 0)
        return product + functional.masked_fill(base, True, 0.0)
    return product + (base if beta == 1 else beta * base)


def _matrix_vector(name: str, what: str, matrix: Any, vec: Any) -> Tensor:
    """matrix @ vec for a matrix (n, m) (the argument `what`) and a vector (m,), checked."""
    matrix, vector = _shaped(name, what, matrix, 2), _shaped(name, "vec", vec, 1)
    if matrix.shape[1] != vector.shape[0]:
        raise ShapeError(f"{name}: size mismatch, {what} of shape {matrix.shape} times vec "
                         f"of shape {vector.shape}; the vector needs {matrix.shape[1]} entries")
    return matrix @ vector


def mv(input: Any, vec: Any) -> Tensor:  # noqa: A002
    """A matrix (n, m) times a vector (m,), a vector (n,): PyTorch's mv, the op matmul."""
    return _matrix_vector("mv", "input", input, vec)


def inner(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The sums of products over the last dimension of both, of shape input.shape[:-1] +
    other.shape[:-1] (PyTorch's and NumPy's inner): the op tensordot; a 0-d operand
    multiplies the other (mul)."""
    a, b = _as_tensor("inner", input), _as_tensor("inner", other, what="other")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"inner: the last dimension must match on both tensors, got shapes "
                         f"{a.shape} and {b.shape}")
    return functional.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def vdot(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The dot product of two 1-D tensors of one length (PyTorch's vdot; of real numbers,
    the conjugate is the number itself): the op dot. Their dtypes are promoted (PyTorch's
    refuses two dtypes)."""
    a, b = _shaped("vdot", "input", input, 1), _shaped("vdot", "other", other, 1)
    if a.shape != b.shape:
        raise ShapeError(f"vdot: inconsistent sizes, the tensors have {a.shape[0]} and "
                         f"{b.shape[0]} entries; give two of one length")
    return functional.dot(a, b)


def ger(input: Any, vec2: Any) -> Tensor:  # noqa: A002
    """The outer product of two 1-D tensors (PyTorch's ger, outer's older name): the op
    outer (whose NumPy rule flattens other shapes; ger refuses them, as PyTorch's)."""
    return functional.outer(_shaped("ger", "input", input, 1), _shaped("ger", "vec2", vec2, 1))


def _outer_method(self: Tensor, vec2: Any) -> Tensor:
    """x.outer(vec2), PyTorch's Tensor.outer: the outer product of two 1-D tensors, the op
    outer. Other shapes are refused, as PyTorch's; tg.outer, NumPy's name too, flattens
    them as np.outer does."""
    advice = ("; flatten it (.reshape(-1)), or call tg.outer, which flattens its inputs as "
              "NumPy's outer")
    return functional.outer(_shaped("outer", "the tensor", self, 1, advice),
                            _shaped("outer", "vec2", vec2, 1, advice))


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec), input broadcast to (n,) (PyTorch's addmv): the
    ops matmul, mul and add."""
    return _scaled_sum("addmv", input, _matrix_vector("addmv", "mat", mat, vec), beta, alpha)


def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1,  # noqa: A002
         alpha: Any = 1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2), input broadcast to (n, m) (PyTorch's
    addr): the ops outer, mul and add."""
    product = functional.outer(_shaped("addr", "vec1", vec1, 1), _shaped("addr", "vec2", vec2, 1))
    return _scaled_sum("addr", input, product, beta, alpha)


def _batches(name: str, batch1: Any, batch2: Any) -> Tensor:
    """batch1 @ batch2 for (b, n, m) and (b, m, p) tensors, checked in one line."""
    first, second = _shaped(name, "batch1", batch1, 3), _shaped(name, "batch2", batch2, 3)
    if first.shape[0] != second.shape[0]:
        raise ShapeError(f"{name}: batch1 and batch2 must have the same number of batches, "
                         f"got shapes {first.shape} and {second.shape}")
    if first.shape[2] != second.shape[1]:
        raise ShapeError(f"{name}: batch1 of shape {first.shape} and batch2 of shape "
                         f"{second.shape} cannot be multiplied ({first.shape[2]} columns, "
                         f"{second.shape[1]} rows)")
    return first @ second


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1,  # noqa: A002
           alpha: Any = 1) -> Tensor:
    """beta * input + alpha * the sum over the batch of batch1[i] @ batch2[i], input
    broadcast to (n, p) (PyTorch's addbmm): the ops matmul, sum, mul and add."""
    return _scaled_sum("addbmm", input, _batches("addbmm", batch1, batch2).sum(axis=0), beta,
                       alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1,  # noqa: A002
            alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), input broadcast to (b, n, p) (PyTorch's
    baddbmm): the ops matmul, mul and add."""
    return _scaled_sum("baddbmm", input, _batches("baddbmm", batch1, batch2), beta, alpha)


def chain_matmul(*matrices: Any) -> Tensor:
    """The product of the 2-D matrices given, in the order of multiplication that costs
    least (PyTorch's deprecated chain_matmul, linalg.multi_dot of the same matrices)."""
    if not matrices:
        raise RuntimeError("chain_matmul: expected one or more matrices")
    tensors = [_shaped("chain_matmul", f"matrix {k}", m, 2) for k, m in enumerate(matrices)]
    return tensors[0].clone() if len(tensors) == 1 else linalg.multi_dot(tensors)


def renorm(input: Any, p: Any, dim: Any, maxnorm: Any) -> Tensor:  # noqa: A002
    """Each slice of input along `dim` (input[i] for dim=0) whose p-norm is above maxnorm
    scaled down to norm maxnorm (times maxnorm / (norm + 1e-7), PyTorch's), the others as
    they are (PyTorch's renorm): vector_norm, where and mul, the gradient through the
    norm too. Integer input counts as the default float (PyTorch's refuses it)."""
    x = _floated(_as_tensor("renorm", input))
    p = number("renorm", "p", p)
    maxnorm = number("renorm", "maxnorm", maxnorm)
    if x.ndim < 2:
        raise ShapeError(f"renorm: input needs at least 2 dimensions, got shape {x.shape}")
    where = one_axis("renorm", dim, x.ndim) % x.ndim
    if not p > 0:
        raise RuntimeError(f"renorm: p must be positive (a norm), got {p}")
    if not maxnorm >= 0:
        raise RuntimeError(f"renorm: maxnorm must be >= 0, got {maxnorm}")
    others = tuple(a for a in range(x.ndim) if a != where)
    norms = vector_norm(x, p, others, True, op="renorm")
    factor = functional.where(norms.data > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return x * factor.to(x.dtype)


def slogdet(input: Any) -> linalg.SlogdetResult:  # noqa: A002
    """The sign and log|det| of a square matrix or of each of a batch (`sign`,
    `logabsdet`), PyTorch's slogdet: linalg.slogdet's (the gradient through logabsdet)."""
    return linalg.slogdet(_as_tensor("slogdet", input))


def logdet(input: Any) -> Tensor:  # noqa: A002
    """log(det(A)) of a square matrix or of each of a batch, as PyTorch's logdet: NaN where
    det < 0 (gradient 0 there, as PyTorch's), -inf where det = 0; made of slogdet and
    masked_fill (the gradient inv(A).T where det > 0)."""
    sign, logabsdet = linalg.slogdet(_as_tensor("logdet", input))
    negative = sign.data < 0
    return functional.masked_fill(logabsdet, negative, np.nan) if negative.any() else logabsdet


def _times_power_of_two(x: Tensor, exponents: np.ndarray, name: str) -> Tensor:
    """x * 2**exponents, exactly: times two factors in x's dtype, each about the square root
    of the power, so that neither overflows where the product stays in range (mul)."""
    half = exponents // 2
    factors = (np.ldexp(np.ones((), x.dtype), half.astype(np.int32)),
               np.ldexp(np.ones((), x.dtype), (exponents - half).astype(np.int32)))
    with np.errstate(over="ignore"):  # (past the dtype's range: inf, as PyTorch's)
        return x * _named_constant(factors[0], f"{name}, half") * \
            _named_constant(factors[1], f"{name}, other half")


def frexp(input: Any) -> FrexpResult:  # noqa: A002
    """x split into a mantissa of magnitude in [0.5, 1) (0 for 0, x itself for inf and NaN)
    and an int32 exponent, x = mantissa * 2**exponent, as PyTorch's frexp: the mantissa is
    x times 2**-exponent (mul: its gradient 2**-exponent, as PyTorch's), the exponent has
    none. Float input only, as in PyTorch."""
    x = _as_tensor("frexp", input)
    if x.dtype.kind != "f":
        raise RuntimeError(f"frexp: only floating-point dtypes are supported (as in PyTorch), "
                           f"got {x.dtype}; cast first: x.to(tg.float64)")
    exponent = np.frexp(x.data)[1].astype(np.int32)
    return FrexpResult(_times_power_of_two(x, -exponent.astype(np.int64), "2**-exponent"),
                       _constant(exponent))


def ldexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * 2**other, broadcast, as PyTorch's ldexp: integer exponents scale exactly (mul
    by two powers of two: no overflow on the way), float ones through the op exp2, whose
    gradient reaches other too. Integer input and exponents give the default float (float64
    unless tg.set_default_dtype changed it), as PyTorch's."""
    x = _as_tensor("ldexp", input)
    e = other if isinstance(other, Tensor) else Tensor.from_op(  # (integers kept: exact)
        _as_array(other, None, "ldexp: other", default=None), None)
    broadcast("ldexp", x, e)
    if e.dtype.kind in "iub":
        return _times_power_of_two(_floated(x), e.data.astype(np.int64), "2**other")
    x = x if x.dtype.kind == "f" else x.to(e.dtype)
    with np.errstate(over="ignore"):
        return x * functional.exp2(e)


METHODS = {name: globals()[name] for name in __all__ if name != "chain_matmul"}
for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)
Tensor.outer = named(_outer_method, "outer", Tensor)  # (PyTorch's only: the op's refuses none)

"""torch.special's classical orthogonal polynomials of `input` and the degree `n`.

`chebyshev_polynomial_t`, `_u`, `_v`, `_w` (the Chebyshev polynomials of the first to
fourth kinds), their `shifted_` forms on [0, 1] (of 2x - 1), `hermite_polynomial_h`
(the physicists' Hermite polynomials), `hermite_polynomial_he` (the probabilists'),
`laguerre_polynomial_l` and `legendre_polynomial_p`. Each is its three-term recurrence
p(k + 1) = (alpha(k) x + beta(k)) p(k) - gamma(k) p(k - 1) made of Tensor ops, so the
gradient with respect to `input` comes from backward() (PyTorch's give none); `n` gets
none, as in PyTorch.

As PyTorch's: `n` is a number or a tensor broadcast with `input`; a non-integer n is
truncated toward 0 (PyTorch casts it to an integer), a negative n gives 0, n = 0 gives
1, and the recurrence is used everywhere, |x| > 1 too (the polynomial's value, no
NaN from arccos), so at x = +-inf a degree of 3 or more gives NaN (inf - inf) as in
PyTorch. A NaN or infinite n gives NaN (PyTorch's cast of it is undefined: 0 in
practice), and a NaN x gives NaN (PyTorch's is whatever was in memory for some). The
result dtype is PyTorch's promotion of input and n (float32 stays float32; integers
give the default float). The recurrence takes max(n) steps, a few ops each.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import functional
from .nn.layer_arguments import _as_tensor, _constant
from .ops.arguments import broadcast
from .ops.pointwise import _floats
from .tensor import Tensor

__all__ = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p"]

# p(1) from y, and p(k + 1) from (y, k, p(k), p(k - 1)); p(0) is 1; y is x or made of it once
# (2x for the Chebyshev and physicists' Hermite recurrences: one op fewer a step)
First = Callable[[Tensor], Tensor]
Step = Callable[[Tensor, int, Tensor, Any], Tensor]


def _degrees(name: str, x: Tensor, n: Any) -> tuple[Tensor, np.ndarray]:
    """x in the result's float dtype (in the graph) and n as whole numbers, truncated, or
    one line: n must be a number or a tensor of real numbers that broadcasts with x."""
    values = np.asarray(getattr(n, "_data", n))
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name}: n (the degree) must be a number or a tensor of real numbers, "
                        f"got {type(n).__name__} {str(n)[:40]!r}")
    broadcast(name, x, values)
    dtype = np.result_type(*_floats(x._data, values))
    return (x if x.dtype == dtype else x.to(dtype)), np.trunc(values.astype(np.float64))


def _polynomial(name: str, input: Any, n: Any, first: First, step: Step,  # noqa: A002
                variable: First = lambda x: x) -> Tensor:
    """p(n) of the recurrence in y = variable(input), each entry its own degree: p(k) is
    taken where n == k as the recurrence passes k (0 for n < 0, 1 for n = 0, NaN for n
    NaN or inf); one degree >= 1 for every entry is the recurrence's last step itself."""
    x, degree = _degrees(name, _as_tensor(name, input), n)
    y = variable(x)
    finite = np.isfinite(degree)
    top = int(degree[finite].max(initial=0))
    single = top >= 1 and (degree == top).all() and \
        np.broadcast_shapes(degree.shape, x.shape) == x.shape
    with np.errstate(invalid="ignore", over="ignore"):  # (inf - inf at x = +-inf: NaN)
        p, previous = first(y), 1.0
        if not single:  # (the entries the recurrence fills start as 0: a NaN is drawn red)
            start = np.where(finite, np.where(degree == 0, 1.0, 0.0), np.nan)
            out = functional.where(degree == 1, p, _constant(start, "1 where n == 0, else 0",
                                                             like=x))  # (gradient 0)
        for k in range(1, top):
            previous, p = p, step(y, k, p, previous)
            if not single and (degree == k + 1).any():
                out = functional.where(degree == k + 1, p, out)
    return p if single else out


_KINDS = {"t": ("first", "T(1) = x", "T(n)(cos t) = cos(n t)"),
          "u": ("second", "U(1) = 2x", "U(n)(cos t) = sin((n + 1) t) / sin t"),
          "v": ("third", "V(1) = 2x - 1", "V(n)(cos t) = cos((n + 1/2) t) / cos(t / 2)"),
          "w": ("fourth", "W(1) = 2x + 1", "W(n)(cos t) = sin((n + 1/2) t) / sin(t / 2)")}
_FIRST = {"t": lambda y: y * 0.5, "u": lambda y: y, "v": lambda y: y - 1,
          "w": lambda y: y + 1}  # (of y = 2x: halving is exact)


def _chebyshev(kind: str, shifted: bool = False) -> Callable[..., Tensor]:
    """The Chebyshev polynomial of a kind ("t", "u", "v", "w"): the recurrence p(k + 1) =
    2x p(k) - p(k - 1) in y = 2x, of 2x - 1 in place of x when `shifted`."""
    name = f"{'shifted_' * shifted}chebyshev_polynomial_{kind}"
    first = _FIRST[kind]

    def polynomial(input: Any, n: Any) -> Tensor:  # noqa: A002  (PyTorch's argument name)
        return _polynomial(name, input, n, first, lambda y, k, p, previous: y * p - previous,
                           (lambda x: (x * 2 - 1) * 2) if shifted else (lambda x: x * 2))
    ordinal, start, identity = _KINDS[kind]
    polynomial.__name__ = polynomial.__qualname__ = name
    polynomial.__module__ = __name__
    polynomial.__doc__ = (
        f"The {'shifted ' * shifted}Chebyshev polynomial of the {ordinal} kind of degree n "
        f"(PyTorch's special.{name}){', of 2x - 1 (on [0, 1])' * shifted}: {identity} on "
        f"[-1, 1], and the same polynomial beyond.\n\n"
        f"    recurrence: `P(0) = 1`, `{start}`, `P(k + 1) = 2x P(k) - P(k - 1)`\n"
        f"    gradient: through the recurrence's ops (none for n)\n")
    return polynomial


chebyshev_polynomial_t, chebyshev_polynomial_u = _chebyshev("t"), _chebyshev("u")
chebyshev_polynomial_v, chebyshev_polynomial_w = _chebyshev("v"), _chebyshev("w")
shifted_chebyshev_polynomial_t = _chebyshev("t", shifted=True)
shifted_chebyshev_polynomial_u = _chebyshev("u", shifted=True)
shifted_chebyshev_polynomial_v = _chebyshev("v", shifted=True)
shifted_chebyshev_polynomial_w = _chebyshev("w", shifted=True)


def hermite_polynomial_h(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The physicists' Hermite polynomial H(n) (PyTorch's special.hermite_polynomial_h),
    orthogonal under the weight e**(-x**2).

    recurrence: `H(0) = 1`, `H(1) = 2x`, `H(k + 1) = 2x H(k) - 2k H(k - 1)`
    gradient: through the recurrence's ops (none for n); it equals `2n H(n - 1)`
    """
    return _polynomial("hermite_polynomial_h", input, n, lambda y: y,
                       lambda y, k, p, previous: y * p - previous * (2 * k), lambda x: x * 2)


def hermite_polynomial_he(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The probabilists' Hermite polynomial He(n) (PyTorch's special.hermite_polynomial_he),
    orthogonal under the weight e**(-x**2 / 2).

    recurrence: `He(0) = 1`, `He(1) = x`, `He(k + 1) = x He(k) - k He(k - 1)`
    gradient: through the recurrence's ops (none for n); it equals `n He(n - 1)`
    """
    return _polynomial("hermite_polynomial_he", input, n, lambda x: x,
                       lambda x, k, p, previous: x * p - previous * k)


def laguerre_polynomial_l(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Laguerre polynomial L(n) (PyTorch's special.laguerre_polynomial_l), orthogonal
    on [0, inf) under the weight e**-x.

    recurrence: `L(0) = 1`, `L(1) = 1 - x`, `L(k + 1) = ((2k + 1 - x) L(k) - k L(k - 1)) / (k + 1)`
    gradient: through the recurrence's ops (none for n)
    """
    return _polynomial("laguerre_polynomial_l", input, n, lambda x: 1 - x,
                       lambda x, k, p, previous:
                       ((x - (2 * k + 1)) * p + previous * k) / -(k + 1))


def legendre_polynomial_p(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Legendre polynomial P(n) (PyTorch's special.legendre_polynomial_p), orthogonal on
    [-1, 1]: P(n)(1) = 1 exactly, as the recurrence keeps it.

    recurrence: `P(0) = 1`, `P(1) = x`, `P(k + 1) = ((2k + 1) x P(k) - k P(k - 1)) / (k + 1)`
    gradient: through the recurrence's ops (none for n)
    """
    return _polynomial("legendre_polynomial_p", input, n, lambda x: x,
                       lambda x, k, p, previous: (x * p * (2 * k + 1) - previous * k) / (k + 1))

"""`tg.special`: PyTorch's `torch.special`, special functions with gradients.

The ops of ops/special.py and ops/gamma.py, under torch.special's names: `erf`, `erfc`,
`erfinv`, `erfcx`, `ndtri`, `log_ndtr`, `i0`, `i0e`, `i1`, `i1e`, `entr`, `xlog1py`,
`gammaln` (lgamma), `digamma` and `psi` (digamma), `polygamma`, `multigammaln` (mvlgamma)
and `zeta`; `ndtr` is made of ops (erfc of -x / sqrt(2), halved). The names
torch.special shares with other functions run those: `expit` (sigmoid), `logit`, `exp2`,
`expm1`, `log1p`, `round`, `sinc`, `xlogy`, `logsumexp`, `softmax` and `log_softmax`.
Those PyTorch also has as `torch.` functions are `tg.` functions too (`tg.erf`,
`tg.lgamma`, `tg.polygamma(n, x)`, `tg.i0`, ...) and Tensor methods (`x.erf()`,
`x.digamma()`, `x.polygamma(n)`, `x.mvlgamma(p)`); the others, as in PyTorch, live here
only.
The orthogonal polynomials (`chebyshev_polynomial_t` ... `legendre_polynomial_p`) are
special_polynomials.py's; `gammainc` and `gammaincc` are ops/incomplete_gamma.py's ops
(`tg.igamma`, `tg.igammac`, `a.igamma(x)`).
The Bessel functions (`bessel_j0` ... `spherical_bessel_j0`) are ops/bessel.py's ops,
`airy_ai` ops/airy.py's; `modified_bessel_i0` and `modified_bessel_i1` run i0 and i1.
"""
from __future__ import annotations

import math
from typing import Any

from . import functional
from .op_errors import calling
from .out_keyword import into_out
from .ops.airy import AiryAi
from .ops.bessel import (BesselJ0, BesselJ1, BesselY0, BesselY1, ModifiedBesselK0,
                         ModifiedBesselK1, ScaledModifiedBesselK0, ScaledModifiedBesselK1,
                         SphericalBesselJ0)
from .ops.gamma import Digamma, Lgamma, Mvlgamma, Polygamma, Zeta
from .ops.incomplete_gamma import Igamma, Igammac
from .ops.pointwise import Xlog1py
from .ops.special import I0, Entr, Erf, Erfc, Erfcx, Erfinv, I0e, I1, I1e, LogNdtr, Ndtri
from .special_polynomials import (  # (torch.special's orthogonal polynomials)
    chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v,
    chebyshev_polynomial_w, hermite_polynomial_h, hermite_polynomial_he, laguerre_polynomial_l,
    legendre_polynomial_p, shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v, shifted_chebyshev_polynomial_w)
from .tensor import Tensor, to_tensor

__all__ = ["erf", "erfc", "erfinv", "erfcx", "ndtr", "ndtri", "log_ndtr", "i0", "i0e", "i1",
           "i1e", "entr", "xlog1py", "xlogy", "gammaln", "digamma", "psi", "polygamma",
           "multigammaln", "zeta", "expit", "logit", "exp2", "expm1", "log1p", "round", "sinc",
           "logsumexp", "softmax", "log_softmax"]
__all__ += ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
            "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
            "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
            "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
            "laguerre_polynomial_l", "legendre_polynomial_p", "gammainc", "gammaincc"]
__all__ += ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
            "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
            "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
            "airy_ai"]


def _function(op: Any, name: str) -> Any:
    """`op.call` as `tg.special.<name>` (a wrong argument is refused naming it)."""
    function = calling(op, name, input_keyword=True)
    function.__module__ = __name__
    return function


erf, erfc, erfinv = _function(Erf, "erf"), _function(Erfc, "erfc"), _function(Erfinv, "erfinv")
erfcx, ndtri, log_ndtr = _function(Erfcx, "erfcx"), _function(Ndtri, "ndtri"), \
    _function(LogNdtr, "log_ndtr")
i0, i0e, i1, i1e = _function(I0, "i0"), _function(I0e, "i0e"), _function(I1, "i1"), \
    _function(I1e, "i1e")
entr, xlog1py = _function(Entr, "entr"), _function(Xlog1py, "xlog1py")
gammaln, digamma, psi = _function(Lgamma, "gammaln"), _function(Digamma, "digamma"), \
    _function(Digamma, "psi")
polygamma, multigammaln = _function(Polygamma, "polygamma"), _function(Mvlgamma, "multigammaln")
zeta = _function(Zeta, "zeta")
gammainc, gammaincc = _function(Igamma, "gammainc"), _function(Igammac, "gammaincc")
bessel_j0, bessel_j1 = _function(BesselJ0, "bessel_j0"), _function(BesselJ1, "bessel_j1")
bessel_y0, bessel_y1 = _function(BesselY0, "bessel_y0"), _function(BesselY1, "bessel_y1")
modified_bessel_i0, modified_bessel_i1 = _function(I0, "modified_bessel_i0"), \
    _function(I1, "modified_bessel_i1")
modified_bessel_k0 = _function(ModifiedBesselK0, "modified_bessel_k0")
modified_bessel_k1 = _function(ModifiedBesselK1, "modified_bessel_k1")
scaled_modified_bessel_k0 = _function(ScaledModifiedBesselK0, "scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _function(ScaledModifiedBesselK1, "scaled_modified_bessel_k1")
spherical_bessel_j0 = _function(SphericalBesselJ0, "spherical_bessel_j0")
airy_ai = _function(AiryAi, "airy_ai")
expit = _function(functional.sigmoid.op, "expit")
logit, exp2, expm1, log1p = functional.logit, functional.exp2, functional.expm1, \
    functional.log1p
round, sinc, xlogy = functional.round, functional.sinc, functional.xlogy  # noqa: A001
logsumexp = functional.logsumexp


def ndtr(input: Any, *, out: Any = None) -> Tensor:  # noqa: A002  (PyTorch's argument name)
    """The standard normal distribution function, the area under the bell curve left of x
    (PyTorch's special.ndtr): erfc(-x / sqrt(2)) / 2, made of ops (mul and erfc), so
    accurate far below 0 where 1 + erf(x / sqrt(2)) would cancel. Its gradient is the
    normal density e**(-x**2 / 2) / sqrt(2 pi)."""
    return into_out("special.ndtr", (to_tensor(input) * -math.sqrt(0.5)).erfc() * 0.5, out)


def softmax(input: Any, dim: Any, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """`tg.softmax` along `dim`, as PyTorch's special.softmax: with `dtype`, the input is
    cast to it first (x.to(dtype), in the graph)."""
    x = to_tensor(input)
    return (x if dtype is None else x.to(dtype)).softmax(dim=dim)


def log_softmax(input: Any, dim: Any, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """`tg.log_softmax` along `dim`, as PyTorch's special.log_softmax (`dtype`: cast first)."""
    x = to_tensor(input)
    return (x if dtype is None else x.to(dtype)).log_softmax(dim=dim)

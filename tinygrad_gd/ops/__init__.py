"""Every built-in op, one module per family; each op registers itself on import.

`elementwise` (+ - * / ** % //, where, masked_fill, nextafter), `elementary` (neg, exp, log, sqrt,
abs, clip, tanh, sigmoid, relu, leaky_relu), `unary` (square, rsqrt, sin, sinh, arctanh,
log1p, deg2rad, floor, trunc, ...), `pointwise` (atan2, hypot, fmod, frac, logit, xlogy,
xlog1py, nan_to_num, maximum, minimum, fmax, fmin, copysign, sinc, heaviside), `activations`
(softplus, elu, celu, gelu, quick_gelu, silu, mish, softsign, hardswish, hardtanh, relu6,
logaddexp, logaddexp2), `reductions` (sum, mean, max, min, topk, sort), `statistics`
(var, std, prod, logsumexp, norm, cumsum, cumprod, diff), `shape` (reshape, transpose,
broadcast, to, clone, joining), `indexing` (getitem, setitem, narrow, take,
index_select), `layout` (unsqueeze, squeeze, permute, flip, roll, split, tile, gather,
...), `padding` (pad: constant, reflect, replicate, circular), `matmul` (@, dot,
the fused linear layer), `contraction` (outer, tensordot, einsum, trace, diag, tril,
triu), `linalg`
(inv, det, slogdet, solve, cholesky: matrices and batches of them), `decompositions`
(qr, eigh, eigvalsh, svd, each result by part=; pinv, solve_triangular), `scatter`
(scatter, scatter_add, scatter_reduce), `index_writes` (index_add, index_copy,
index_fill, masked_scatter, unfold, diag_embed), `convolution` (conv2d, max_pool2d,
avg_pool2d) and `losses` (softmax, log-softmax, cross-entropy, binary_cross_entropy).
Defining an op is one class: its registration makes it a Tensor method and a `tg.`
function (see `engine.Function`); each op's `backward_graph` is its backward in Tensor
ops, for second derivatives (higher_order.py). `tg.registered_ops()` lists them all by name.
The special functions (`tg.special`): `special` (erf, erfc, erfinv, erfcx, ndtri,
log_ndtr, i0, i0e, i1, i1e, entr) and `gamma` (lgamma, digamma, polygamma,
mvlgamma, zeta).
`incomplete_gamma` (igamma, igammac: the regularized incomplete gamma functions).
`bessel` (J0, J1, Y0, Y1, K0, K1, the scaled K's, spherical j0) and `airy` (Ai).
"""
from . import elementary, elementwise, losses, matmul, reductions, shape  # noqa: F401
from . import indexing  # noqa: F401  (getitem, setitem, narrow, take, index_select)
from . import activations, contraction, convolution, layout, statistics, unary  # noqa: F401
from . import pointwise  # noqa: F401  (atan2, fmod, logit, xlogy, ...)
from . import linalg  # noqa: F401  (inv, det, solve, cholesky, ...)
from . import padding  # noqa: F401  (pad: constant, reflect, replicate, circular)
from . import decompositions  # noqa: F401  (qr, eigh, svd, pinv, solve_triangular)
from . import scatter  # noqa: F401  (scatter, scatter_add, scatter_reduce)
from . import index_writes  # noqa: F401  (index_add, index_copy, index_fill, masked_scatter, ...)
from . import linalg_more  # noqa: F401  (lu, matrix_exp)
from . import gamma, special  # noqa: F401  (erf, erfinv, i0, lgamma, digamma, polygamma, ...)
from . import incomplete_gamma  # noqa: F401  (igamma, igammac)
from . import airy, bessel  # noqa: F401  (bessel_j0, ..., airy_ai: tg.special only)

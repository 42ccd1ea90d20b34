"""Every built-in op, one module per family; each op registers itself on import.

`elementwise` (+ - * / ** and the first unary functions), `unary` (square, sin, log1p,
floor, ...), `activations` (softplus, elu, gelu, silu, hardtanh, relu6, logaddexp),
`reductions` (sum, mean, max, min), `statistics` (var, std, prod, logsumexp, cumsum),
`shape` (reshape, transpose, broadcast, indexing, joining), `layout` (unsqueeze, squeeze,
permute, flip, pad, split, tile, gather, tril, ...), `matmul` (@, dot, the fused linear
layer), `contraction` (outer, tensordot, einsum, trace, diag) and `losses` (softmax,
log-softmax, cross-entropy). Defining an op is one
class: its registration makes it a Tensor method and a `tg.` function (see
`engine.Function`); `tg.registered_ops()` lists them all by name.
"""
from . import elementwise, losses, matmul, reductions, shape  # noqa: F401  (each registers its ops)
from . import activations, contraction, layout, statistics, unary  # noqa: F401

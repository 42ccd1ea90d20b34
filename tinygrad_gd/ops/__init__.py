"""Every built-in op, one module per family; each op registers itself on import.

`elementwise` (+ - * / ** and the unary functions), `reductions` (sum, mean, max, min),
`shape` (reshape, transpose, broadcast, indexing, joining), `matmul` (@, dot, the fused
linear layer) and `losses` (softmax, log-softmax, cross-entropy). Defining an op is one
class: its registration makes it a Tensor method and a `tg.` function (see
`engine.Function`); `tg.registered_ops()` lists them all by name.
"""
from . import elementwise, losses, matmul, reductions, shape  # noqa: F401  (each registers its ops)

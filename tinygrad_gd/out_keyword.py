"""PyTorch's `out=` on the functions written by hand (`tg.mm`, `tg.zeros`, `tg.kthvalue`,
`tg.linalg.inv`, ...), given in one place: `give_out_keywords` (which __init__.py calls
once the namespaces are built) gives each function named in `TAKING_OUT`, the functions
whose PyTorch namesake takes out=, a keyword-only `out=None` where it has none. The
registered ops' functions take it already (op_errors.py's `calling`). The result of the
call without out= is written into out as theirs is (out_arguments.py: its checks and
refusals, a result or an out that needs a gradient among them); a result that is not
a tensor, or a tuple of them, is refused in one line, saying to assign it instead.

Only the namespace's name is given out=: the package's own calls (`from .creation import
zeros`) call the function itself, and a call without out= costs one more call. Where the
namespace is the function's own module (`tg.linalg.inv`, `tg.special.ndtr`,
`tg.fft.fftfreq`), the function takes out= itself (`into_out`), and that module's names of
its own functions are left as they are: a wrapper there would replace what its own calls and
pickle find (what it imports from elsewhere, as linalg's `svdvals` or `qr`, is wrapped there,
and its own calls of those go through the wrapper: one call more).
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from .grad_mode import is_grad_enabled
from .out_arguments import written_out
from .tensor import Tensor
from .torch_keywords import replaced

__all__ = ["TAKING_OUT", "give_out_keywords", "into_out"]

# PyTorch's functions whose docstring lists out= (tests/test_in_place_round37.py checks the
# list against torch's), by the namespace here that has them ("": tg itself)
TAKING_OUT: dict[str, tuple[str, ...]] = {
    "": ("addbmm", "addcdiv", "addcmul", "addmm", "addmv", "addr", "all", "amax", "amin",
         "aminmax", "angle", "any", "arange", "baddbmm", "bernoulli", "bitwise_and",
         "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
         "bitwise_xor", "bmm", "bucketize", "chain_matmul", "cholesky", "cholesky_inverse",
         "cholesky_solve", "column_stack", "concat", "conj_physical", "cross", "cummax",
         "cummin", "dstack", "empty", "eq", "eye", "float_power", "frexp", "full", "gcd",
         "ge", "geqrf", "ger", "greater", "greater_equal", "gt", "histc", "histogram",
         "hstack", "index_reduce", "inner", "isneginf", "isposinf", "kron", "kthvalue", "lcm",
         "ldexp", "le", "lerp", "less", "less_equal", "linspace", "logcumsumexp",
         "logical_and", "logical_not", "logical_or", "logical_xor", "logspace", "lt", "lu",
         "lu_solve", "lu_unpack", "masked_select", "matrix_power", "median", "mm", "mode",
         "msort", "multinomial", "mv", "nanmean", "nanmedian", "nanquantile", "narrow_copy",
         "ne", "nonzero", "normal", "not_equal", "ones", "ormqr", "qr", "quantile", "rand",
         "randint", "randn", "randperm", "range", "renorm", "row_stack", "searchsorted",
         "signbit", "svd", "take_along_dim", "triangular_solve", "true_divide", "vdot",
         "vstack", "zeros"),
    "linalg": ("cholesky", "cholesky_ex", "cond", "cross", "det", "eigh", "eigvalsh",
               "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex",
               "ldl_solve", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matrix_norm",
               "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet",
               "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
               "tensorsolve", "vecdot", "vector_norm"),
    "special": ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
                "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
                "laguerre_polynomial_l", "legendre_polynomial_p", "ndtr",
                "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
                "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w"),
    "fft": ("fftfreq", "rfftfreq"),
}


def give_out_keywords(package: Any) -> None:
    """Give each function of `TAKING_OUT` that has no `out` parameter one, in its namespace
    (`package`, or its submodule of that name)."""
    for where, names in TAKING_OUT.items():
        namespace = getattr(package, where) if where else package
        prefix = f"{where}." if where else ""
        for name in names:
            function = getattr(namespace, name, None)
            if function is not None and not _takes_out(function):
                if getattr(function, "__module__", None) == namespace.__name__:  # (docstring)
                    raise TypeError(f"{prefix}{name} is defined in {namespace.__name__}, "
                                    f"so it must take out= itself: see into_out")
                replaced(namespace, name, _with_out(prefix + name, function))


def _takes_out(function: Callable) -> bool:
    """Whether `function` takes `out=` already (or its parameters cannot be read)."""
    try:
        return "out" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True


def _with_out(name: str, function: Callable) -> Callable:
    """`function` taking a keyword-only `out=`: its result written into out, returned."""
    @functools.wraps(function)
    def with_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        return into_out(name, function(*args, **kwargs), out)

    parameters = list(inspect.signature(function).parameters.values())
    keywords = [p for p in parameters if p.kind is p.VAR_KEYWORD]
    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    with_out.__signature__ = inspect.Signature(  # (help() and inspect show out=)
        [p for p in parameters if p.kind is not p.VAR_KEYWORD] + [out] + keywords)
    return with_out


def into_out(name: str, result: Any, out: Any) -> Any:
    """`result`, or (`out` given) its values written into out, which is returned: out= of a
    function of TAKING_OUT defined in the namespace that has it (`name`, `linalg.inv`)."""
    return result if out is None else _written(name, result, out)


def _written(name: str, result: Any, out: Any) -> Any:
    """`result` written into `out` (out_arguments.py); one line where it is no tensor."""
    parts = result if isinstance(result, tuple) else (result,)
    if not all(isinstance(part, Tensor) for part in parts):
        raise TypeError(f"{name}: out= takes tensors, but {name} gave "
                        f"{type(result).__name__}; assign the result instead "
                        f"(y = tg.{name}(...))")
    return written_out(name, result, out, is_grad_enabled())

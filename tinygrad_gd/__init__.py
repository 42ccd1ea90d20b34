"""tinygrad_gd: a small autograd framework on NumPy, for learning and checking gradient descent.

`Tensor` records the ops applied to it; `backward()` applies the chain rule over that
graph in one pass. `gradcheck` compares any gradient with finite differences.
"""
import importlib

from .engine import Function, enable_grad, is_grad_enabled, no_grad, registered_ops
from .grad_mode import inference_mode, is_inference_mode_enabled, set_grad_enabled
from .tensor import Tensor
from .anomaly import AnomalyError, detect_anomaly
from .tracked import TrackedArray
from . import functional
from .functional import *  # noqa: F401,F403  (tg.exp, tg.sum, ...: one per registered op)
from . import creation, in_place, logic, numpy_calls, registry, spellings  # noqa: F401
from . import in_place_shapes  # noqa: F401  (unsqueeze_, t_, ...: Tensor's methods)
from . import compositions, indices, random  # noqa: F401
from .creation import *  # noqa: F401,F403  (tg.zeros, tg.arange, tg.randn, ...)
from .logic import *  # noqa: F401,F403  (tg.argmax, tg.logical_and, ...: no gradient)
from .spellings import *  # noqa: F401,F403  (tg.from_numpy, tg.is_tensor, tg.numel)
from .compositions import *  # noqa: F401,F403  (tg.hstack, tg.median, ...: several ops)
from .random import *  # noqa: F401,F403  (tg.normal, tg.bernoulli, tg.multinomial)
from . import memory_formats  # noqa: F401
from .memory_formats import *  # noqa: F401,F403  (tg.preserve_format, tg.channels_last, ...)
from .indices import *  # noqa: F401,F403  (tg.unique, tg.bincount, ...: no gradient)
from . import arrangements  # noqa: F401
from .arrangements import *  # noqa: F401,F403  (tg.block_diag, tg.cartesian_prod, tg.combinations)
from . import linalg_toplevel  # noqa: F401
from .linalg_toplevel import *  # noqa: F401,F403  (tg.svd, tg.qr, tg.lu, tg.cholesky_solve, ...)
from . import legacy_types, numerical_calculus, products, statistics_more  # noqa: F401
from .statistics_more import *  # noqa: F401,F403  (tg.cov, tg.quantile, tg.mode, tg.histogram)
from .products import *  # noqa: F401,F403  (tg.mv, tg.addbmm, tg.renorm, tg.logdet, tg.frexp)
from .numerical_calculus import *  # noqa: F401,F403  (tg.trapezoid, tg.gradient)
from .legacy_types import (BoolTensor, ByteTensor, CharTensor, DoubleTensor,  # noqa: F401
                           FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor)
from .spellings import (float16, float32, float64, int8, int16, int32, int64,  # noqa: F401
                        uint8, bool_ as bool)  # (tg.bool: not in __all__, * keeps bool)
# torch's other names of them (`dtype = torch.float`), not in __all__ either: `import *`
# must not hide Python's float and int
from .spellings import (float32 as float, float64 as double, float16 as half,  # noqa: F401
                        int64 as long, int32 as int, int16 as short)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .errors import ShapeError  # (a shape mistake: both ValueError and RuntimeError)
from .graph import (BackwardSteps, RenderError, backward_steps, draw_anomaly, draw_graph,
                    render_graph)
from .serialization import LoadError, load, save
from . import autograd, data, datasets, linalg, nn, optim, plot  # noqa: E402  (on the above)
from . import properties, torch_functions  # noqa: E402,F401  (on nn: tg.dropout is F's)
from .properties import *  # noqa: F401,F403  (tg.finfo, tg.set_default_dtype, tg.is_nonzero, ...)
from .properties import Size, e, inf, nan, pi  # noqa: E402,F401  (PyTorch's, not in __all__)
from .memory import is_conj, resolve_conj, resolve_neg  # noqa: F401  (PyTorch's, real values)
from .torch_functions import *  # noqa: F401,F403  (tg.gt, tg.concat, tg.dropout, tg.hsplit, ...)
from . import torch_functions_more  # noqa: E402,F401  (after torch_functions)
from . import cuda, devices  # noqa: E402,F401  (tg.cuda.is_available(), tg.device("cpu"))
from .devices import device, get_default_device, set_default_device  # noqa: E402,F401
from . import accelerator, backends  # noqa: E402,F401  (tg.backends.mps.is_available())
from .torch_functions_more import *  # noqa: F401,F403  (tg.conv3d, tg.bitwise_and, tg.gcd)
from . import tensor_methods_more  # noqa: E402,F401  (after torch_functions_more)
from .tensor_methods_more import *  # noqa: F401,F403  (tg.angle, tg.select_scatter, tg.put, ...)
from . import tensor_devices  # noqa: E402,F401  (x.cuda(), x.is_xpu, x.to_dense(), x.resize())
from . import distributions  # noqa: E402,F401  (tg.distributions.Normal, ...)
from . import special  # noqa: E402,F401  (tg.special.erf, gammaln, zeta, i0e, ndtr, ...)
from . import func, utils  # noqa: E402,F401  (tg.func.grad, vmap, ...; tg.utils.data)
from .func_more import vmap  # noqa: E402  (torch.vmap, at the top level too)
from .inference import is_inference  # noqa: E402  (torch.is_inference)
from .copies import *  # noqa: F401,F403,E402  (tg.view_copy, tg.permute_copy, ...: copies of views)
from .creation_more import *  # noqa: F401,F403,E402  (tg.empty_like, tg.fill, tg.vander, ...)
from .lowrank import *  # noqa: F401,F403,E402  (tg.geqrf, tg.svd_lowrank, tg.pca_lowrank)
from .window_functions import *  # noqa: F401,F403,E402  (tg.hann_window, tg.kaiser_window, ...)
from .histogram_dd import *  # noqa: F401,F403,E402  (tg.histogramdd)
from . import fft  # noqa: E402,F401  (tg.fft.fftshift, tg.fft.ifftshift)
from . import masked  # noqa: E402,F401  (tg.masked.sum, ...: torch.masked's reductions)
from . import signal  # noqa: E402,F401  (tg.signal.windows.hann, ...)
from . import global_switches, in_place_functions  # noqa: E402,F401
from .global_switches import *  # noqa: F401,F403,E402  (tg.use_deterministic_algorithms, ...)
from .in_place_functions import *  # noqa: F401,F403,E402  (tg.exp_, tg.clamp_, tg.fill_, ...)
from .nn import recurrent_functions  # noqa: E402
from .nn.recurrent_functions import *  # noqa: F401,F403,E402  (tg.lstm_cell, tg.gru, ...)
from . import native_functions  # noqa: E402
from .native_functions import *  # noqa: F401,F403,E402  (tg.native_layer_norm, tg.grid_sampler)
from . import torch_utilities  # noqa: E402
from .torch_utilities import *  # noqa: F401,F403,E402  (tg.typename, tg.frombuffer, tg.cond, ...)
# torch.range and torch.compile, not in __all__: `import *` must not hide Python's
from .torch_utilities import compile, range  # noqa: E402,F401,A004
# torch.autograd.gradcheck and gradgradcheck: the same checks (gradcheck.py imports autograd)
autograd.gradcheck, autograd.gradgradcheck = gradcheck, gradgradcheck

__version__ = "0.1.0"

__all__ = [
    "nn", "optim", "data", "datasets", "plot", "autograd", "linalg", "special",
    "Tensor", "tensor", "TrackedArray", "Function", "registered_ops", "no_grad", "enable_grad",
    "is_grad_enabled", "set_grad_enabled", "inference_mode", "detect_anomaly", "AnomalyError",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "ShapeError",
    "draw_graph", "render_graph", "draw_anomaly", "RenderError", "backward_steps",
    "BackwardSteps", "save", "load", "LoadError",
    "distributions",
    "func", "utils", "vmap",
] + functional.__all__ + creation.__all__ + logic.__all__ + spellings.__all__ \
    + compositions.__all__ + random.__all__ + indices.__all__ + arrangements.__all__
__all__ += properties.__all__ + torch_functions.__all__
__all__ += torch_functions_more.__all__  # (tg.max_pool3d, tg.index_put, ...)
__all__ += tensor_methods_more.__all__  # (tg.select_scatter, tg.put, tg.strided, ...)
__all__ += ["device", "cuda", "set_default_device", "get_default_device", "backends",
            "accelerator"]
__all__ += linalg_toplevel.__all__  # (torch's linear algebra outside torch.linalg)
__all__ += statistics_more.__all__ + products.__all__ + numerical_calculus.__all__
__all__ += legacy_types.__all__  # (tg.LongTensor, tg.FloatTensor, ...)
__all__ += memory_formats.__all__  # (tg.preserve_format, tg.contiguous_format, ...)
__all__ += copies.__all__  # (torch's copies of views: tg.view_copy, ...)
__all__ += creation_more.__all__  # (tg.empty_like, tg.fill, ...)
__all__ += lowrank.__all__  # (tg.geqrf, tg.svd_lowrank, tg.pca_lowrank)
__all__ += window_functions.__all__  # (tg.hann_window, ...)
__all__ += histogram_dd.__all__  # (tg.histogramdd)
__all__ += ["fft"]
__all__ += ["masked"]
__all__ += ["signal"]
__all__ += global_switches.__all__ + in_place_functions.__all__
__all__ += recurrent_functions.__all__  # (torch's functional RNNs: tg.lstm, ...)
__all__ += native_functions.__all__  # (torch's kernels' names: tg.native_batch_norm, ...)
__all__ += torch_utilities.__all__  # (tg.typename, tg.from_dlpack, tg.while_loop, ...)
__all__ += ["is_inference", "is_inference_mode_enabled", "is_conj", "resolve_conj", "resolve_neg"]

# no user's op may take these for its functions=: they are no op's (tg.zeros, tg.nn, and
# what functional.py itself calls)
registry.reserve(name for names in (globals(), vars(functional)) for name, value in names.items()
                 if not name.startswith("__") and not hasattr(value, "op"))


def __getattr__(name: str):
    """`tg.NAME` for an op registered after import (a user's own op with functions=...);
    `tg.testing` (the testing toolkit: torch.testing's assert_close, strategies) on first
    use, as PyTorch's torch.testing: imported then, not with the package (it reads pytest)."""
    if name == "testing":
        return importlib.import_module(".testing", __name__)
    if name in functional.__all__:
        return getattr(functional, name)
    raise AttributeError(f"module 'tinygrad_gd' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names and every op's `tg.` function, a user's own included (tab
    completion finds `tg.cube` once `Cube` is defined)."""
    return sorted(set(globals()) | set(functional.__all__) | {"testing"})


# last, once every module has set its methods: a wrong number of arguments to a method
# written by hand is counted as the user gave them, without the tensor
from . import op_errors  # noqa: E402

op_errors.methods_counted_as_called(Tensor)
op_errors.methods_found_by_name(Tensor)  # (pickle.dumps(tg.Tensor.abs) as torch's)

# PyTorch's out= on the functions written by hand, once every namespace is built
from .out_keyword import give_out_keywords  # noqa: E402

give_out_keywords(importlib.import_module(__name__))

# PyTorch's keyword names on the functions and methods written by hand (x.view(size=...))
from .torch_keywords import give_torch_keywords  # noqa: E402

give_torch_keywords(importlib.import_module(__name__), Tensor)

# NumPy's RuntimeWarnings raised in the package's modules (log(0), 1 / 0: inf and NaN are the
# answers, as PyTorch's) not shown: numpy_warnings.py says why and what it leaves alone
from .numpy_warnings import quiet_numpy_in_package  # noqa: E402

quiet_numpy_in_package()

"""PyTorch's `torch.nn.modules` as a path, for code that imports from it: the layers, the
same classes as `tg.nn`'s, `module` (`tg.nn.modules.module`: `Module` and the hooks of
every module at once, `register_module_forward_hook` and kin) and `linear` (with
NonDynamicallyQuantizableLinear, MultiheadAttention's out_proj)."""
import sys

from .. import __all__ as _every
from . import linear, module

_nn = sys.modules[__name__.rpartition(".")[0]]  # (tg.nn, whose names are all bound by now)
__all__ = [name for name in _every if name[:1].isupper()] + ["module", "linear"]
globals().update((name, getattr(_nn, name)) for name in __all__[:-2])
